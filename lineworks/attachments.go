package lineworks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strings"
	"unicode"
)

// UploadSlot is where to upload one file: Attachments.Create reserves it,
// Attachments.Upload fills it, and FileID then goes into an Image, File,
// Audio or Video message or a rich-menu image. The upload URL is single-use
// and valid for 24 hours.
//
// See https://developers.worksmobile.com/jp/docs/bot-attachment-create.
type UploadSlot struct {
	FileID    string `json:"fileId"`
	UploadURL string `json:"uploadUrl"`
}

// UploadFieldName is the multipart field the file is sent in. Public samples
// disagree on its casing ("Filedata" / "FileData"); the official LINE WORKS
// sample uses FileData.
const UploadFieldName = "FileData"

const (
	apiAttachmentCreate = "POST /bots/{botId}/attachments"
	apiAttachmentGet    = "GET /bots/{botId}/attachments/{fileId}"
	// apiAttachmentUpload paces uploads separately; the upload URL is not one
	// of the rate-limited API paths.
	apiAttachmentUpload = "POST {uploadUrl}"
	// maxDownloadHops bounds the redirects Download follows by hand.
	maxDownloadHops = 5
)

// Create reserves an upload slot for a file named fileName (the name users
// see; no path separators).
//
// See https://developers.worksmobile.com/jp/docs/bot-attachment-create.
func (s *AttachmentsService) Create(ctx context.Context, botID int64, fileName string) (*UploadSlot, error) {
	const method = "Attachments.Create"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	if err := validFileName(method, fileName); err != nil {
		return nil, err
	}
	body := struct {
		FileName string `json:"fileName"`
	}{fileName}
	var slot UploadSlot
	if _, err := s.client.do(ctx, request{method: http.MethodPost, api: apiAttachmentCreate, path: pathf("bots/%s/attachments", botID), body: body}, &slot); err != nil {
		return nil, err
	}
	if slot.FileID == "" || slot.UploadURL == "" {
		return nil, fmt.Errorf("lineworks: %s: the response has no fileId or uploadUrl", apiAttachmentCreate)
	}
	return &slot, nil
}

// Upload sends the content of r to slot.UploadURL as multipart/form-data, one
// file part named UploadFieldName with fileName, authenticated with the
// bearer token. The token is only ever sent to LINE WORKS hosts (or the
// client's own base URL, e.g. a lineworkstest server): any other upload URL
// is refused. An http:// URL on a LINE WORKS host is upgraded to https.
//
// The file is streamed when its size is known (r is a *bytes.Reader,
// *strings.Reader, *bytes.Buffer or a seekable file); other readers are read
// into memory first, because the request needs a Content-Length. Upload is
// not retried: the URL is single-use and a repeated upload may be refused.
//
// See https://developers.worksmobile.com/jp/docs/bot-attachment-create.
func (s *AttachmentsService) Upload(ctx context.Context, slot *UploadSlot, fileName string, r io.Reader) error {
	const method = "Attachments.Upload"
	c := s.client
	if slot == nil || slot.UploadURL == "" {
		return fmt.Errorf("%w: %s: no upload URL", ErrInvalidArgument, method)
	}
	if r == nil {
		return fmt.Errorf("%w: %s: nil reader", ErrInvalidArgument, method)
	}
	if err := validFileName(method, fileName); err != nil {
		return err
	}
	u, err := url.Parse(slot.UploadURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%w: %s: the upload URL is not an absolute http(s) URL", ErrInvalidArgument, method)
	}
	if u.Scheme == "http" && !strings.EqualFold(u.Host, c.baseURL.Host) && isLineWorksHost(u.Hostname()) {
		u.Scheme = "https"
	}
	if !c.trustedHost(u) {
		// Never hand the bearer token to a host LINE WORKS does not own.
		return fmt.Errorf("%w: %s: upload host %q is not a LINE WORKS host", ErrInvalidArgument, method, u.Host)
	}

	prefix, suffix, ctype, err := multipartFrame(fileName)
	if err != nil {
		return fmt.Errorf("lineworks: %s: %w", method, err)
	}
	size, ok := readerSize(r)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("lineworks: %s: reading the file: %w", method, err)
		}
		r, size = bytes.NewReader(data), int64(len(data))
	}

	if err := c.pacer.wait(ctx, apiAttachmentUpload); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), io.MultiReader(bytes.NewReader(prefix), r, bytes.NewReader(suffix)))
	if err != nil {
		return fmt.Errorf("lineworks: %s: %w", method, err)
	}
	req.ContentLength = int64(len(prefix)) + size + int64(len(suffix))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", c.userAgent)
	tok, err := c.ts.Token()
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("lineworks: %s: %w", method, redactURL(err))
	}
	defer resp.Body.Close()
	if err := CheckResponse(resp); err != nil {
		return hideStoragePath(err, "{uploadUrl}")
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("lineworks: %s: unexpected status %d", method, resp.StatusCode)
	}
	return nil
}

// UploadFile is Create followed by Upload: it returns the file ID to put in
// a message.
//
// See https://developers.worksmobile.com/jp/docs/bot-attachment-create.
func (s *AttachmentsService) UploadFile(ctx context.Context, botID int64, fileName string, r io.Reader) (string, error) {
	if r == nil {
		return "", fmt.Errorf("%w: Attachments.UploadFile: nil reader", ErrInvalidArgument)
	}
	slot, err := s.Create(ctx, botID, fileName)
	if err != nil {
		return "", err
	}
	if err := s.Upload(ctx, slot, fileName, r); err != nil {
		return "", err
	}
	return slot.FileID, nil
}

// Download fetches a file a user sent the bot (the fileId of an image, file,
// audio or video callback) and returns its body, which the caller must
// close, and its Content-Type.
//
// LINE WORKS answers 302 with the storage location. The client follows it by
// hand, sending the bearer token only when the location is a LINE WORKS host
// (or the client's own base host); any other host gets no Authorization
// header.
//
// See https://developers.worksmobile.com/jp/docs/bot-attachment-get.
func (s *AttachmentsService) Download(ctx context.Context, botID int64, fileID string) (io.ReadCloser, string, error) {
	const method = "Attachments.Download"
	if err := validID(method, "botID", botID); err != nil {
		return nil, "", err
	}
	if err := validString(method, "fileID", fileID); err != nil {
		return nil, "", err
	}
	c := s.client
	resp, err := c.doStream(ctx, request{method: http.MethodGet, api: apiAttachmentGet, path: pathf("bots/%s/attachments/%s", botID, fileID)})
	if err != nil {
		return nil, "", err
	}
	for hop := 0; ; hop++ {
		if !isRedirect(resp.StatusCode) {
			if resp.StatusCode >= 300 {
				resp.Body.Close()
				return nil, "", fmt.Errorf("lineworks: %s: unexpected status %d", method, resp.StatusCode)
			}
			return resp.Body, resp.Header.Get("Content-Type"), nil
		}
		loc, err := resp.Location()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return nil, "", fmt.Errorf("lineworks: %s: redirect without a usable Location", method)
		}
		if hop >= maxDownloadHops {
			return nil, "", fmt.Errorf("lineworks: %s: more than %d redirects", method, maxDownloadHops)
		}
		if resp, err = c.fetchLocation(ctx, loc); err != nil {
			return nil, "", fmt.Errorf("lineworks: %s: %w", method, err)
		}
	}
}

// fetchLocation GETs a redirect target, with the bearer token only for a
// trusted host. An error answer becomes an *APIError.
func (c *Client) fetchLocation(ctx context.Context, loc *url.URL) (*http.Response, error) {
	if loc.Scheme != "http" && loc.Scheme != "https" {
		return nil, fmt.Errorf("redirect to a %q URL", loc.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.trustedHost(loc) {
		tok, err := c.ts.Token()
		if err != nil {
			return nil, err
		}
		tok.SetAuthHeader(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, redactURL(err)
	}
	if err := CheckResponse(resp); err != nil {
		resp.Body.Close()
		return nil, hideStoragePath(err, "{location}")
	}
	return resp, nil
}

// hideStoragePath replaces the path of an *APIError from a storage URL with
// a placeholder: like the URL itself (see redactURL), its path can carry
// the capability.
func hideStoragePath(err error, placeholder string) error {
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Path = placeholder
	}
	return err
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// isLineWorksHost reports LINE WORKS' own domains (see Client.trustedHost).
func isLineWorksHost(h string) bool {
	h = strings.ToLower(h)
	return h == "worksmobile.com" || strings.HasSuffix(h, ".worksmobile.com") ||
		h == "worksapis.com" || strings.HasSuffix(h, ".worksapis.com")
}

// redactURL drops the URL from a *url.Error: upload and storage URLs are
// capabilities and do not belong in logs.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// multipartFrame returns what goes before and after the file bytes in a
// one-part multipart/form-data body, and the body's Content-Type.
func multipartFrame(fileName string) (prefix, suffix []byte, ctype string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, UploadFieldName, quoteEscaper.Replace(fileName)))
	partType := mime.TypeByExtension(path.Ext(fileName))
	if partType == "" {
		partType = "application/octet-stream"
	}
	h.Set("Content-Type", partType)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	prefix = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	return prefix, bytes.Clone(buf.Bytes()), mw.FormDataContentType(), nil
}

// readerSize returns how many bytes r will yield, when that is known without
// reading it.
func readerSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), true
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		end, err := v.Seek(0, io.SeekEnd)
		if _, err2 := v.Seek(cur, io.SeekStart); err != nil || err2 != nil {
			return 0, false
		}
		return end - cur, true
	}
	return 0, false
}

func validFileName(method, name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: %s: empty file name", ErrInvalidArgument, method)
	}
	if strings.ContainsAny(name, `/\`) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s: file name %q contains a path separator or control character", ErrInvalidArgument, method, name)
	}
	return nil
}
