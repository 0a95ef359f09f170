package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// A QR code is queued in the outbox as the content
// {"type":"x-uketsuke-qr","text":"123456"}, never sent as such: the
// dispatcher renders the PNG when it sends the entry, uploads it through
// the attachments API (https://developers.worksmobile.com/jp/docs/bot-attachment-create)
// and sends an image message by the upload's fileId
// (https://developers.worksmobile.com/jp/docs/bot-send-image). The outbox
// keeps a few bytes instead of an image, and an upload URL (valid 24 h,
// single use) never waits in the outbox.
const qrContentType = "x-uketsuke-qr"

// qrContent is the outbox content of a QR image.
type qrContent struct {
	Type string `json:"type"`
	// Text is what the QR code holds: the bare reception code, which is
	// what a kiosk's camera reads.
	Text string `json:"text"`
}

// qrMessage is the outbox content of a QR image of text.
func qrMessage(text string) qrContent { return qrContent{Type: qrContentType, Text: text} }

// qrOf returns the QR content of an outbox entry's content, if it is one.
func qrOf(raw json.RawMessage) (qrContent, bool) {
	if !bytes.Contains(raw, []byte(qrContentType)) {
		return qrContent{}, false
	}
	var q qrContent
	if json.Unmarshal(raw, &q) != nil || q.Type != qrContentType || q.Text == "" {
		return qrContent{}, false
	}
	return q, true
}

// qrPNGSize is the side of a QR image in pixels: plenty for a phone screen
// held to a tablet's camera, and a few kilobytes.
const qrPNGSize = 384

// qrPNG renders text as a QR code PNG, with medium error correction and
// the standard quiet zone.
func qrPNG(text string) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, qrPNGSize)
	if err != nil {
		return nil, fmt.Errorf("notify: rendering a QR code: %w", err)
	}
	return png, nil
}

// qrFileName is the name of the uploaded QR image, as users see it.
const qrFileName = "reception-code.png"

// FileUploader is an API that can upload a file for a message: what QR
// images need. LineWorksConnector's API implements it; an API without it
// cannot send QR images (they are given up on).
type FileUploader interface {
	// UploadFile uploads r as fileName and returns the file ID to send
	// (https://developers.worksmobile.com/jp/docs/bot-attachment-create).
	UploadFile(ctx context.Context, botID int64, fileName string, r io.Reader) (string, error)
}

// errNoUploader is the delivery error of a QR image through an API that
// cannot upload; permanent.
var errNoUploader = fmt.Errorf("%w: notify: the LINE WORKS API cannot upload files", lineworks.ErrInvalidContent)

// qrImage renders q, uploads it with api and returns the image message.
func qrImage(ctx context.Context, api API, botID int64, q qrContent) (lineworks.Content, error) {
	up, ok := api.(FileUploader)
	if !ok {
		return nil, errNoUploader
	}
	png, err := qrPNG(q.Text)
	if err != nil {
		return nil, errors.Join(lineworks.ErrInvalidContent, err)
	}
	id, err := up.UploadFile(ctx, botID, qrFileName, bytes.NewReader(png))
	if err != nil {
		return nil, err
	}
	return lineworks.Image{FileID: id}, nil
}

// sendContent is what send sends for an entry: its content (a sequence's
// first item), or, for a QR code, the uploaded image.
func sendContent(ctx context.Context, api API, org *reception.Organization, e *reception.OutboxEntry, typed lineworks.Content) (lineworks.Content, error) {
	if typed != nil {
		return typed, nil
	}
	raw := firstItem(e.Content)
	if q, ok := qrOf(raw); ok {
		return qrImage(ctx, api, org.Integration.BotID, q)
	}
	return lineworks.RawContent(raw), nil
}

// UploadFile implements FileUploader.
func (a *clientAPI) UploadFile(ctx context.Context, botID int64, fileName string, r io.Reader) (string, error) {
	return a.client.Attachments.UploadFile(ctx, botID, fileName, r)
}
