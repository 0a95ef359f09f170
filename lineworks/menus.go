package lineworks

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
)

// Limits of persistent and rich menus.
// See https://developers.worksmobile.com/jp/docs/bot-menu.
const (
	maxPersistentMenuActions = 4
	maxPersistentMenuLabel   = 1000
	maxRichMenuName          = 300
	maxRichMenuAreas         = 20
	// RichMenuWidth is the only width LINE WORKS accepts.
	RichMenuWidth = 2500
	// RichMenuHeightLarge and RichMenuHeightCompact are the accepted heights.
	RichMenuHeightLarge   = 1686
	RichMenuHeightCompact = 843
)

var (
	ctxPersistentMenu = actionContext{name: "persistent menu", labelMax: maxPersistentMenuLabel}
	// Rich-menu labels are optional (the desktop app shows a default text).
	ctxRichMenu = actionContext{name: "rich menu", allowPostback: true, labelMax: maxLabel, labelOptional: true, textRequired: true}
)

const (
	apiPersistentMenuSet    = "POST /bots/{botId}/persistentmenu"
	apiPersistentMenuGet    = "GET /bots/{botId}/persistentmenu"
	apiPersistentMenuDelete = "DELETE /bots/{botId}/persistentmenu"
	apiRichMenuCreate       = "POST /bots/{botId}/richmenus"
	apiRichMenuList         = "GET /bots/{botId}/richmenus"
	apiRichMenuGet          = "GET /bots/{botId}/richmenus/{richmenuId}"
	apiRichMenuDelete       = "DELETE /bots/{botId}/richmenus/{richmenuId}"
	apiRichMenuImageSet     = "POST /bots/{botId}/richmenus/{richmenuId}/image"
	apiRichMenuImageGet     = "GET /bots/{botId}/richmenus/{richmenuId}/image"
	apiRichMenuDefaultSet   = "POST /bots/{botId}/richmenus/{richmenuId}/set-default"
	apiRichMenuDefaultGet   = "GET /bots/{botId}/richmenus/default"
	apiRichMenuDefaultDel   = "DELETE /bots/{botId}/richmenus/default"
	apiRichMenuUserSet      = "POST /bots/{botId}/richmenus/{richmenuId}/users/{userId}"
	apiRichMenuUserGet      = "GET /bots/{botId}/richmenus/users/{userId}"
	apiRichMenuUserDelete   = "DELETE /bots/{botId}/richmenus/users/{userId}"
)

// persistentMenuBody is the wire form {"content":{"actions":[…]}}.
type persistentMenuBody struct {
	Content struct {
		Actions []Action `json:"actions"`
	} `json:"content"`
}

func (b *persistentMenuBody) UnmarshalJSON(data []byte) error {
	var aux struct {
		Content struct {
			Actions []json.RawMessage `json:"actions"`
		} `json:"content"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	b.Content.Actions, err = decodeActions(aux.Content.Actions, "content.actions")
	return err
}

// ValidatePersistentMenu checks a persistent menu: 1 to 4 message, uri or
// copy actions (no postback; a MessageAction's Postback value is the way to
// get a machine-readable answer), labels up to 1000 characters.
//
// See https://developers.worksmobile.com/jp/docs/bot-persistentmenu-create.
func ValidatePersistentMenu(actions []Action) error {
	var v contentValidator
	v.count("content.actions", len(actions), 1, maxPersistentMenuActions)
	for i, a := range actions {
		v.action(fieldAt("content.actions", i), a, ctxPersistentMenu)
	}
	return v.err()
}

// SetPersistentMenu sets the bot's persistent menu, the row of buttons at
// the bottom of its rooms. LINE WORKS refuses it while the bot has rich
// menus, and creating a rich menu removes it.
//
// See https://developers.worksmobile.com/jp/docs/bot-persistentmenu-create.
func (s *BotsService) SetPersistentMenu(ctx context.Context, botID int64, actions []Action) error {
	if err := validID("Bots.SetPersistentMenu", "botID", botID); err != nil {
		return err
	}
	if err := ValidatePersistentMenu(actions); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	var body persistentMenuBody
	body.Content.Actions = actions
	_, err := s.client.do(ctx, request{method: http.MethodPost, api: apiPersistentMenuSet, path: pathf("bots/%s/persistentmenu", botID), body: body}, nil)
	return err
}

// GetPersistentMenu returns the actions of the bot's persistent menu.
//
// See https://developers.worksmobile.com/jp/docs/bot-persistentmenu-get.
func (s *BotsService) GetPersistentMenu(ctx context.Context, botID int64) ([]Action, error) {
	if err := validID("Bots.GetPersistentMenu", "botID", botID); err != nil {
		return nil, err
	}
	var body persistentMenuBody
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiPersistentMenuGet, path: pathf("bots/%s/persistentmenu", botID)}, &body); err != nil {
		return nil, err
	}
	return body.Content.Actions, nil
}

// DeletePersistentMenu removes the bot's persistent menu (204 No Content).
//
// See https://developers.worksmobile.com/jp/docs/bot-persistentmenu-delete.
func (s *BotsService) DeletePersistentMenu(ctx context.Context, botID int64) error {
	if err := validID("Bots.DeletePersistentMenu", "botID", botID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodDelete, api: apiPersistentMenuDelete, path: pathf("bots/%s/persistentmenu", botID)}, nil)
	return err
}

// RichMenu is an image menu with up to 20 tappable areas. The image is set
// separately with SetRichMenuImage; mobile apps show it, the desktop app
// shows the action labels.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-create.
type RichMenu struct {
	// RichmenuID is assigned by LINE WORKS; leave it empty when creating.
	RichmenuID   string         `json:"richmenuId,omitempty"`
	RichmenuName string         `json:"richmenuName"`
	Size         RichMenuSize   `json:"size"`
	Areas        []RichMenuArea `json:"areas"`
}

// RichMenuSize is the image size: RichMenuWidth × RichMenuHeightLarge or
// RichMenuHeightCompact.
type RichMenuSize struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// RichMenuArea is a tappable rectangle and what tapping it does (a
// postback, message, uri or copy action).
type RichMenuArea struct {
	Bounds RichMenuBounds `json:"bounds"`
	Action Action         `json:"action"`
}

// RichMenuBounds is a rectangle in image pixels.
type RichMenuBounds struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// UnmarshalJSON decodes the action by its "type".
func (a *RichMenuArea) UnmarshalJSON(data []byte) error {
	var aux struct {
		Bounds RichMenuBounds  `json:"bounds"`
		Action json.RawMessage `json:"action"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	act, err := decodeActionAt(aux.Action, "action")
	if err != nil {
		return err
	}
	a.Bounds, a.Action = aux.Bounds, act
	return nil
}

// Validate checks the documented limits: a name of 1 to 300 characters, a
// size of 2500×1686 or 2500×843, 1 to 20 areas inside the image, each with a
// postback, message, uri or copy action.
func (m RichMenu) Validate() error {
	var v contentValidator
	v.requiredMax("richmenuName", m.RichmenuName, maxRichMenuName)
	if m.Size.Width != RichMenuWidth || (m.Size.Height != RichMenuHeightLarge && m.Size.Height != RichMenuHeightCompact) {
		v.fail("size", "is %d×%d; want %d×%d or %d×%d", m.Size.Width, m.Size.Height, RichMenuWidth, RichMenuHeightLarge, RichMenuWidth, RichMenuHeightCompact)
	}
	v.count("areas", len(m.Areas), 1, maxRichMenuAreas)
	for i, a := range m.Areas {
		p := fieldAt("areas", i)
		b := a.Bounds
		if b.X < 0 || b.Y < 0 || b.Width <= 0 || b.Height <= 0 || b.X+b.Width > m.Size.Width || b.Y+b.Height > m.Size.Height {
			v.fail(fieldJoin(p, "bounds"), "(%d,%d %d×%d) is empty or outside the %d×%d image", b.X, b.Y, b.Width, b.Height, m.Size.Width, m.Size.Height)
		}
		v.action(fieldJoin(p, "action"), a.Action, ctxRichMenu)
	}
	return v.err()
}

// RichMenusPage is one page of ListRichMenusPage.
type RichMenusPage struct {
	Richmenus        []RichMenu       `json:"richmenus"`
	ResponseMetaData ResponseMetaData `json:"responseMetaData"`
}

// RichMenuImage is the image of a rich menu: an attachment file ID, and
// per-language variants.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-image-set.
type RichMenuImage struct {
	FileID      string       `json:"fileId"`
	I18nFileIDs []I18nFileID `json:"i18nFileIds,omitempty"`
}

// CreateRichMenu validates and creates a rich menu and returns its ID (at
// most 1000 per bot). Creating one removes the persistent menu.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-create.
func (s *BotsService) CreateRichMenu(ctx context.Context, botID int64, menu RichMenu) (string, error) {
	if err := validID("Bots.CreateRichMenu", "botID", botID); err != nil {
		return "", err
	}
	if err := menu.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	menu.RichmenuID = ""
	var out RichMenu
	if _, err := s.client.do(ctx, request{method: http.MethodPost, api: apiRichMenuCreate, path: pathf("bots/%s/richmenus", botID), body: menu}, &out); err != nil {
		return "", err
	}
	if out.RichmenuID == "" {
		return "", fmt.Errorf("lineworks: %s: the response has no richmenuId", apiRichMenuCreate)
	}
	return out.RichmenuID, nil
}

// GetRichMenu returns one rich menu.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-get.
func (s *BotsService) GetRichMenu(ctx context.Context, botID int64, richmenuID string) (*RichMenu, error) {
	if err := validBotMenu("Bots.GetRichMenu", botID, richmenuID); err != nil {
		return nil, err
	}
	var m RichMenu
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiRichMenuGet, path: pathf("bots/%s/richmenus/%s", botID, richmenuID)}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListRichMenusPage returns one page of the bot's rich menus.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-list.
func (s *BotsService) ListRichMenusPage(ctx context.Context, botID int64, opts PageOptions) (*RichMenusPage, error) {
	const method = "Bots.ListRichMenusPage"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	q, err := opts.values(method)
	if err != nil {
		return nil, err
	}
	var page RichMenusPage
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiRichMenuList, path: pathf("bots/%s/richmenus", botID), query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListRichMenus iterates over the bot's rich menus, following nextCursor.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-list.
func (s *BotsService) ListRichMenus(ctx context.Context, botID int64) iter.Seq2[RichMenu, error] {
	return paginate(ctx, "Bots.ListRichMenus", func(ctx context.Context, cursor string) ([]RichMenu, string, error) {
		p, err := s.ListRichMenusPage(ctx, botID, PageOptions{Count: MaxPageCount, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return p.Richmenus, p.ResponseMetaData.NextCursor, nil
	})
}

// DeleteRichMenu deletes a rich menu (204 No Content).
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-delete.
func (s *BotsService) DeleteRichMenu(ctx context.Context, botID int64, richmenuID string) error {
	if err := validBotMenu("Bots.DeleteRichMenu", botID, richmenuID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodDelete, api: apiRichMenuDelete, path: pathf("bots/%s/richmenus/%s", botID, richmenuID)}, nil)
	return err
}

// SetRichMenuImage sets the image of a rich menu (204 No Content) to a file
// uploaded with Attachments.UploadFile: a JPEG or PNG of the menu's size, at
// most 1 MB. i18n adds per-language images.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-image-set.
func (s *BotsService) SetRichMenuImage(ctx context.Context, botID int64, richmenuID, fileID string, i18n ...I18nFileID) error {
	const method = "Bots.SetRichMenuImage"
	if err := validBotMenu(method, botID, richmenuID); err != nil {
		return err
	}
	if err := validString(method, "fileID", fileID); err != nil {
		return err
	}
	for i, f := range i18n {
		if !f.Language.valid() || f.FileID == "" {
			return fmt.Errorf("%w: %s: i18nFileIds[%d] needs a known language and a file ID", ErrInvalidArgument, method, i)
		}
	}
	body := RichMenuImage{FileID: fileID, I18nFileIDs: i18n}
	_, err := s.client.do(ctx, request{method: http.MethodPost, api: apiRichMenuImageSet, path: pathf("bots/%s/richmenus/%s/image", botID, richmenuID), body: body}, nil)
	return err
}

// GetRichMenuImage returns the file IDs of a rich menu's image.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-image-get.
func (s *BotsService) GetRichMenuImage(ctx context.Context, botID int64, richmenuID string) (*RichMenuImage, error) {
	if err := validBotMenu("Bots.GetRichMenuImage", botID, richmenuID); err != nil {
		return nil, err
	}
	var img RichMenuImage
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiRichMenuImageGet, path: pathf("bots/%s/richmenus/%s/image", botID, richmenuID)}, &img); err != nil {
		return nil, err
	}
	return &img, nil
}

type defaultRichMenu struct {
	BotID             int64  `json:"botId"`
	DefaultRichmenuID string `json:"defaultRichmenuId"`
}

// SetDefaultRichMenu makes a rich menu the one every user sees unless a
// per-user menu is set. The reference page says 201 Created with
// {"botId","defaultRichmenuId"}; any 2xx is success here, so an answer of
// 200 would do as well. It needs only the bot.message scope.
//
// See https://developers.worksmobile.com/jp/docs/bot-default-richmenu-set.
func (s *BotsService) SetDefaultRichMenu(ctx context.Context, botID int64, richmenuID string) error {
	if err := validBotMenu("Bots.SetDefaultRichMenu", botID, richmenuID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodPost, api: apiRichMenuDefaultSet, path: pathf("bots/%s/richmenus/%s/set-default", botID, richmenuID)}, nil)
	return err
}

// GetDefaultRichMenu returns the ID of the bot's default rich menu ("" when
// none is set).
//
// See https://developers.worksmobile.com/jp/docs/bot-default-richmenu-get.
func (s *BotsService) GetDefaultRichMenu(ctx context.Context, botID int64) (string, error) {
	if err := validID("Bots.GetDefaultRichMenu", "botID", botID); err != nil {
		return "", err
	}
	var d defaultRichMenu
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiRichMenuDefaultGet, path: pathf("bots/%s/richmenus/default", botID)}, &d); err != nil {
		return "", err
	}
	return d.DefaultRichmenuID, nil
}

// DeleteDefaultRichMenu unsets the bot's default rich menu (204 No Content);
// the menu itself remains.
//
// See https://developers.worksmobile.com/jp/docs/bot-default-richmenu-delete.
func (s *BotsService) DeleteDefaultRichMenu(ctx context.Context, botID int64) error {
	if err := validID("Bots.DeleteDefaultRichMenu", "botID", botID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodDelete, api: apiRichMenuDefaultDel, path: pathf("bots/%s/richmenus/default", botID)}, nil)
	return err
}

// SetUserRichMenu shows a rich menu to one user (ID or login e-mail) instead
// of the default (204 No Content).
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-user-set.
func (s *BotsService) SetUserRichMenu(ctx context.Context, botID int64, richmenuID, userID string) error {
	const method = "Bots.SetUserRichMenu"
	if err := validBotMenu(method, botID, richmenuID); err != nil {
		return err
	}
	if err := validString(method, "userID", userID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodPost, api: apiRichMenuUserSet, path: pathf("bots/%s/richmenus/%s/users/%s", botID, richmenuID, userID)}, nil)
	return err
}

// GetUserRichMenu returns the rich menu set for one user; the default menu
// is not reported here.
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-user-get.
func (s *BotsService) GetUserRichMenu(ctx context.Context, botID int64, userID string) (*RichMenu, error) {
	const method = "Bots.GetUserRichMenu"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	if err := validString(method, "userID", userID); err != nil {
		return nil, err
	}
	var m RichMenu
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiRichMenuUserGet, path: pathf("bots/%s/richmenus/users/%s", botID, userID)}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteUserRichMenu removes a user's own rich menu, so the default applies
// again (204 No Content).
//
// See https://developers.worksmobile.com/jp/docs/bot-richmenu-user-delete.
func (s *BotsService) DeleteUserRichMenu(ctx context.Context, botID int64, userID string) error {
	const method = "Bots.DeleteUserRichMenu"
	if err := validID(method, "botID", botID); err != nil {
		return err
	}
	if err := validString(method, "userID", userID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodDelete, api: apiRichMenuUserDelete, path: pathf("bots/%s/richmenus/users/%s", botID, userID)}, nil)
	return err
}

func validBotMenu(method string, botID int64, richmenuID string) error {
	if err := validID(method, "botID", botID); err != nil {
		return err
	}
	return validString(method, "richmenuID", richmenuID)
}
