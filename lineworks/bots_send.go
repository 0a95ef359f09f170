package lineworks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// sendBody is the envelope of both send APIs.
type sendBody struct {
	Content Content `json:"content"`
}

// SendToUser sends msg 1:1 to a user. userID may be the user's ID or login
// e-mail. The content is validated before any request is made; @All
// mentions are rejected because they only work in talk rooms.
//
// Not idempotent: a timeout after the request was written is returned, not
// retried, because LINE WORKS may have delivered the message.
//
// See https://developers.worksmobile.com/jp/docs/bot-user-message-send.
func (s *BotsService) SendToUser(ctx context.Context, botID int64, userID string, msg Content) error {
	if userID == "" {
		return fmt.Errorf("%w: SendToUser: empty userID", ErrInvalidArgument)
	}
	return s.send(ctx, botID, false, pathf("bots/%s/users/%s/messages", botID, userID), "POST /bots/{botId}/users/{userId}/messages", msg)
}

// SendToChannel sends msg to a talk room the bot is a member of.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-message-send.
func (s *BotsService) SendToChannel(ctx context.Context, botID int64, channelID string, msg Content) error {
	if channelID == "" {
		return fmt.Errorf("%w: SendToChannel: empty channelID", ErrInvalidArgument)
	}
	return s.send(ctx, botID, true, pathf("bots/%s/channels/%s/messages", botID, channelID), "POST /bots/{botId}/channels/{channelId}/messages", msg)
}

func (s *BotsService) send(ctx context.Context, botID int64, toChannel bool, path, api string, msg Content) error {
	if botID <= 0 {
		return fmt.Errorf("%w: botID %d", ErrInvalidArgument, botID)
	}
	if msg == nil {
		return fmt.Errorf("%w: nil message content", ErrInvalidArgument)
	}
	if err := validateForDestination(msg, toChannel); err != nil {
		return err
	}
	body, err := sendBodyOf(msg)
	if err != nil {
		return err
	}
	_, err = s.client.do(ctx, request{method: http.MethodPost, api: api, path: path, raw: body}, nil)
	return err
}

// sendBodyOf builds {"content": …} from the content's own MarshalJSON.
// Going through json.Marshal on the envelope would re-validate and compact
// the content's output, which costs as much as producing it; our content
// types emit compact, valid JSON already.
func sendBodyOf(msg Content) ([]byte, error) {
	m, ok := msg.(json.Marshaler)
	if !ok {
		b, err := json.Marshal(sendBody{Content: msg})
		if err != nil {
			return nil, fmt.Errorf("lineworks: encoding message: %w", err)
		}
		return b, nil
	}
	inner, err := m.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("lineworks: encoding message: %w", err)
	}
	body := make([]byte, 0, len(inner)+12)
	body = append(body, `{"content":`...)
	body = append(body, inner...)
	return append(body, '}'), nil
}
