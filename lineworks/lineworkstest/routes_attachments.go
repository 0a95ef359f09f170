package lineworkstest

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Attachment routes (https://developers.worksmobile.com/jp/docs/bot-attachment-create,
// https://developers.worksmobile.com/jp/docs/bot-attachment-get) and the
// fake's stand-in for the storage host: upload URLs are {URL}/upload/{fileId}
// and downloads redirect to {URL}/files/{fileId}. Both need the bearer token,
// as the real storage does.

// Storage paths of the fake, relative to Server.URL.
const (
	UploadPath = "/upload/"
	FilesPath  = "/files/"
)

// maxUpload bounds uploaded files.
const maxUpload = 32 << 20

// registerAttachmentRoutes serves the attachment routes and the storage
// stand-in described above.
func (s *Server) registerAttachmentRoutes() {
	s.handle("POST /bots/{botId}/attachments", s.serveAttachmentCreate)
	s.handle("GET /bots/{botId}/attachments/{fileId}", s.serveAttachmentGet)
	s.handle("POST "+UploadPath+"{fileId}", s.serveUpload)
	s.handle("GET "+FilesPath+"{fileId}", s.serveFile)
}

func (s *Server) serveAttachmentCreate(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	botID, ok := botIDParam(w, r)
	if !ok {
		return
	}
	var body struct {
		FileName string `json:"fileName"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.FileName) == "" || strings.ContainsAny(body.FileName, `/\`) {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "fileName is required and must not contain a path")
		return
	}
	rs, unlock := s.res()
	f := rs.newFile(botID, body.FileName)
	unlock()
	writeJSON(w, http.StatusOK, map[string]string{"fileId": f.FileID, "uploadUrl": s.URL + UploadPath + url.PathEscape(f.FileID)})
}

// serveUpload accepts one multipart file part named FileData (or Filedata:
// public samples use both and both are reported to work).
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r); !ok {
		return
	}
	id := r.PathValue("fileId")
	rs, unlock := s.res()
	f := rs.files[id]
	used := f != nil && f.Uploaded
	unlock()
	switch {
	case f == nil:
		notFound(w, "upload slot")
		return
	case used:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "the upload URL was already used")
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "the body must be multipart/form-data")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "the multipart body cannot be read")
		return
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "the multipart body cannot be read")
			return
		}
		if name := p.FormName(); name != "FileData" && name != "Filedata" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, maxUpload+1))
		if err != nil || len(data) > maxUpload {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "the file cannot be read or is too large")
			return
		}
		ctype := p.Header.Get("Content-Type")
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		_, unlock := s.res()
		f.Data, f.ContentType, f.Uploaded = data, ctype, true
		if fn := p.FileName(); fn != "" {
			f.FileName = fn
		}
		unlock()
		writeJSON(w, http.StatusOK, map[string]string{"fileId": id})
		return
	}
	writeError(w, http.StatusBadRequest, "MISSING_PARAMETER", "no file part named FileData")
}

func (s *Server) serveAttachmentGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	botID, ok := botIDParam(w, r)
	if !ok {
		return
	}
	id := r.PathValue("fileId")
	rs, unlock := s.res()
	f := rs.files[id]
	found := f != nil && f.Uploaded && f.BotID == botID
	unlock()
	if !found {
		notFound(w, "file")
		return
	}
	// No rateLimit-* headers on the redirect, as on the real service.
	for _, h := range []string{"rateLimit-limit", "rateLimit-remaining", "rateLimit-reset"} {
		w.Header().Del(h)
	}
	w.Header().Set("Location", s.URL+FilesPath+url.PathEscape(id))
	w.WriteHeader(http.StatusFound)
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r); !ok {
		return
	}
	rs, unlock := s.res()
	f := rs.files[r.PathValue("fileId")]
	var data []byte
	var ctype, name string
	found := f != nil && f.Uploaded
	if found {
		data, ctype, name = f.Data, f.ContentType, f.FileName
	}
	unlock()
	if !found {
		notFound(w, "file")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
