package httpserver

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// maxKeyFile bounds the uploaded private key; a PEM key is under 4 KB.
const maxKeyFile = 64 << 10

// integrationForm reads the organization page's LINE WORKS form. Fields
// the form does not send keep their stored values, and so do empty secret
// fields; values stay untrimmed, since app.SaveIntegration trims them and
// says which it trimmed. The error is about the uploaded key file.
func integrationForm(r *http.Request) (app.IntegrationInput, error) {
	f := r.PostForm
	text := func(k string) *string {
		if !f.Has(k) {
			return nil
		}
		v := f.Get(k)
		return &v
	}
	secret := func(k string) *string {
		if f.Get(k) == "" {
			return nil
		}
		return text(k)
	}
	in := app.IntegrationInput{
		ClientID: text("clientId"), ServiceAccount: text("serviceAccount"), AdminUserID: text("adminUserId"),
		BotID: text("botId"), DomainID: text("domainId"),
		ClientSecret: secret("clientSecret"), BotSecret: secret("botSecret"), PrivateKey: secret("privateKey"),
	}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["privateKeyFile"]; len(fhs) > 0 && fhs[0].Size > 0 {
			key, err := readUpload(fhs[0], maxKeyFile)
			if err != nil {
				return in, err
			}
			in.PrivateKey = &key
		}
	}
	if f.Has("scopes") {
		scopes := strings.FieldsFunc(f.Get("scopes"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
		in.Scopes = &scopes
	}
	return in, nil
}

// readUpload reads an uploaded file of at most limit bytes.
func readUpload(fh *multipart.FileHeader, limit int64) (string, error) {
	file, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(data)) > limit {
		return "", fmt.Errorf("the file is larger than %d KB; choose the .key file LINE WORKS gave you", limit>>10)
	}
	return string(data), nil
}
