package lineworks_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/uketsuke/uketsuke/lineworks"
)

func TestAttachmentsUploadAndDownload(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("PDF!"), 5000)

	fileID, err := c.Attachments.UploadFile(ctx, testBotID, "見積書.pdf", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	f, ok := fake.File(fileID)
	if !ok || !bytes.Equal(f.Data, data) || f.FileName != "見積書.pdf" || f.ContentType != "application/pdf" {
		t.Fatalf("the fake stored %q %q %d bytes (ok %v)", f.FileName, f.ContentType, len(f.Data), ok)
	}
	// The file can now be sent.
	if err := c.Bots.SendToUser(ctx, testBotID, "u1", lineworks.File{FileID: fileID}); err != nil {
		t.Fatal(err)
	}

	body, ctype, err := c.Attachments.Download(ctx, testBotID, fileID)
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	defer body.Close()
	got, _ := io.ReadAll(body)
	if !bytes.Equal(got, data) || ctype != "application/pdf" {
		t.Errorf("Download = %d bytes, %q", len(got), ctype)
	}

	// A file a user sent, from a reader of unknown size.
	id := fake.AddFile(testBotID, "photo.png", "image/png", []byte("\x89PNG"))
	body, ctype, err = c.Attachments.Download(ctx, testBotID, id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(body)
	body.Close()
	if string(got) != "\x89PNG" || ctype != "image/png" {
		t.Errorf("Download = %q, %q", got, ctype)
	}
	if _, _, err := c.Attachments.Download(ctx, testBotID, "jp1.nope"); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("unknown file: %v", err)
	}
}

func TestAttachmentUploadUnknownSize(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	r := io.MultiReader(strings.NewReader("hello, "), strings.NewReader("world")) // no Len, no Seek
	id, err := c.Attachments.UploadFile(context.Background(), testBotID, "a.txt", r)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := fake.File(id); string(f.Data) != "hello, world" {
		t.Errorf("stored %q", f.Data)
	}
	// The upload URL is single-use.
	slot, err := c.Attachments.Create(context.Background(), testBotID, "b.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Attachments.Upload(context.Background(), slot, "b.txt", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Attachments.Upload(context.Background(), slot, "b.txt", strings.NewReader("2")); !errors.Is(err, lineworks.ErrBadRequest) {
		t.Errorf("second upload: %v, want ErrBadRequest", err)
	}
}

// TestUploadWire checks the exact request: multipart with one part named
// FileData, the file name, a Content-Length, and the bearer token.
func TestUploadWire(t *testing.T) {
	t.Parallel()
	const uploadURL = "https://apis-storage.worksmobile.com/k/emsg/r/jp1/1628695315008671000.1628781715.0.1000001.0.0.0/report.pdf"
	mt := httpmock.NewMockTransport()
	var (
		mu      sync.Mutex
		checked bool
	)
	mt.RegisterResponder("POST", uploadURL, func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		checked = true
		if got := r.Header.Get("Authorization"); got != "Bearer tok-123" {
			t.Errorf("Authorization = %q", got)
		}
		if r.ContentLength <= 0 {
			t.Errorf("ContentLength = %d, want it set", r.ContentLength)
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		raw, _ := io.ReadAll(r.Body)
		if int64(len(raw)) != r.ContentLength {
			t.Errorf("body %d bytes, ContentLength %d", len(raw), r.ContentLength)
		}
		mr := multipartReader(raw, params["boundary"])
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(p)
		if p.FormName() != "FileData" || p.FileName() != "report.pdf" || string(content) != "%PDF-1.7" || p.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("part %q %q %q %q", p.FormName(), p.FileName(), content, p.Header.Get("Content-Type"))
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("more than one part: %v", err)
		}
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	c := mockClient(t, mt)
	// http:// on a LINE WORKS host is upgraded: the token never travels in clear.
	slot := &lineworks.UploadSlot{FileID: "f", UploadURL: strings.Replace(uploadURL, "https://", "http://", 1)}
	if err := c.Attachments.Upload(context.Background(), slot, "report.pdf", strings.NewReader("%PDF-1.7")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !checked {
		t.Error("the upload URL was not called")
	}
}

func TestUploadRefusesForeignHost(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c := mockClient(t, mt)
	for _, u := range []string{"https://evil.example.com/upload", "https://worksmobile.com.evil.example/u", "ftp://apis-storage.worksmobile.com/x", ""} {
		err := c.Attachments.Upload(context.Background(), &lineworks.UploadSlot{FileID: "f", UploadURL: u}, "a.txt", strings.NewReader("x"))
		if !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%q: err = %v, want ErrInvalidArgument", u, err)
		}
	}
	for _, name := range []string{"", "../etc/passwd", "a\nb"} {
		if err := c.Attachments.Upload(context.Background(), &lineworks.UploadSlot{UploadURL: "https://apis-storage.worksmobile.com/x"}, name, strings.NewReader("x")); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("file name %q: %v", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// TestDownloadRedirectAuthorization: the 302 target gets the bearer token
// only when it is a LINE WORKS host.
func TestDownloadRedirectAuthorization(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		location string
		wantAuth bool
	}{
		{"https://apis-storage.worksmobile.com/k/emsg/r/jp1/file", true},
		{"https://jp1-file.storage.worksmobile.com/file", true},
		{"https://evil.example.com/file", false},
		{"https://worksmobile.com.evil.example/file", false},
		{"http://apis-storage.worksmobile.com/file", false}, // never in clear
	} {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder("GET", "https://api.example.test/v1.0/bots/1/attachments/WAAAQPwBexX2HnseNvvM9Zyhvp2kIRF3Ul7L7%2FaMVti8=",
			func(r *http.Request) (*http.Response, error) {
				resp := httpmock.NewStringResponse(302, "")
				resp.Header.Set("Location", tc.location)
				return resp, nil
			})
		var auth string
		mt.RegisterResponder("GET", tc.location, func(r *http.Request) (*http.Response, error) {
			auth = r.Header.Get("Authorization")
			resp := httpmock.NewStringResponse(200, "data")
			resp.Header.Set("Content-Type", "image/jpeg")
			return resp, nil
		})
		c := mockClient(t, mt)
		body, ctype, err := c.Attachments.Download(context.Background(), 1, "WAAAQPwBexX2HnseNvvM9Zyhvp2kIRF3Ul7L7/aMVti8=")
		if err != nil {
			t.Errorf("%s: %v", tc.location, err)
			continue
		}
		got, _ := io.ReadAll(body)
		body.Close()
		if string(got) != "data" || ctype != "image/jpeg" {
			t.Errorf("%s: got %q %q", tc.location, got, ctype)
		}
		if (auth != "") != tc.wantAuth || (tc.wantAuth && auth != "Bearer tok-123") {
			t.Errorf("%s: Authorization = %q, want sent: %v", tc.location, auth, tc.wantAuth)
		}
	}
}

// TestDownloadRedirectTwoLoopbackServers does the same over real
// connections: API and storage on two ports of 127.0.0.1 are different
// hosts, so the storage server must not see the token.
func TestDownloadRedirectTwoLoopbackServers(t *testing.T) {
	t.Parallel()
	var storageAuth, apiAuth string
	var mu sync.Mutex
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		storageAuth = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "from storage")
	}))
	defer storage.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiAuth = r.Header.Get("Authorization")
		mu.Unlock()
		http.Redirect(w, r, storage.URL+"/files/x", http.StatusFound)
	}))
	defer api.Close()
	c, err := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-123"}), lineworks.WithBaseURL(api.URL+"/v1.0/"))
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := c.Attachments.Download(context.Background(), 1, "x")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	mu.Lock()
	defer mu.Unlock()
	if string(got) != "from storage" || apiAuth != "Bearer tok-123" || storageAuth != "" {
		t.Errorf("body %q; API saw %q; storage saw %q (want none)", got, apiAuth, storageAuth)
	}
}

func multipartReader(raw []byte, boundary string) *multipart.Reader {
	return multipart.NewReader(bytes.NewReader(raw), boundary)
}
