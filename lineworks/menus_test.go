package lineworks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/uketsuke/uketsuke/lineworks"
)

func TestPersistentMenu(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()
	actions := []lineworks.Action{
		lineworks.MessageAction{Label: "受付状況", Postback: "uk1:status"},
		lineworks.URIAction{Label: "ヘルプ", URI: "https://example.com/help"},
		lineworks.CopyAction{Label: "内線番号", CopyText: "1234"},
	}
	if err := c.Bots.SetPersistentMenu(ctx, testBotID, actions); err != nil {
		t.Fatalf("SetPersistentMenu: %v", err)
	}
	got, err := c.Bots.GetPersistentMenu(ctx, testBotID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(actions, got); diff != "" {
		t.Errorf("GetPersistentMenu (-want +got):\n%s", diff)
	}
	if err := c.Bots.DeletePersistentMenu(ctx, testBotID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bots.GetPersistentMenu(ctx, testBotID); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}

	before := fake.APIRequests()
	for name, bad := range map[string][]lineworks.Action{
		"none":     nil,
		"five":     {actions[0], actions[0], actions[0], actions[0], actions[0]},
		"postback": {lineworks.PostbackAction{Label: "x", Data: "y"}},
		"camera":   {lineworks.CameraAction{Label: "x"}},
		"no label": {lineworks.URIAction{URI: "https://example.com"}},
	} {
		err := c.Bots.SetPersistentMenu(ctx, testBotID, bad)
		if !errors.Is(err, lineworks.ErrInvalidArgument) || !errors.Is(err, lineworks.ErrInvalidContent) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument and ErrInvalidContent", name, err)
		}
	}
	if fake.APIRequests() != before {
		t.Error("invalid menus reached the server")
	}
}

func richMenu() lineworks.RichMenu {
	return lineworks.RichMenu{
		RichmenuName: "受付メニュー",
		Size:         lineworks.RichMenuSize{Width: lineworks.RichMenuWidth, Height: lineworks.RichMenuHeightCompact},
		Areas: []lineworks.RichMenuArea{
			{Bounds: lineworks.RichMenuBounds{X: 0, Y: 0, Width: 1250, Height: 843}, Action: lineworks.PostbackAction{Label: "対応中", Data: "uk1:list", DisplayText: "対応中の来客"}},
			{Bounds: lineworks.RichMenuBounds{X: 1250, Y: 0, Width: 1250, Height: 843}, Action: lineworks.URIAction{Label: "管理画面", URI: "https://uketsuke.example.com/"}},
		},
	}
}

func TestRichMenus(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()
	if err := c.Bots.SetPersistentMenu(ctx, testBotID, []lineworks.Action{lineworks.MessageAction{Label: "x"}}); err != nil {
		t.Fatal(err)
	}

	id, err := c.Bots.CreateRichMenu(ctx, testBotID, richMenu())
	if err != nil {
		t.Fatalf("CreateRichMenu: %v", err)
	}
	if id == "" {
		t.Fatal("no rich menu ID")
	}
	if _, ok := fake.PersistentMenu(testBotID); ok {
		t.Error("a rich menu must replace the persistent menu")
	}
	if err := c.Bots.SetPersistentMenu(ctx, testBotID, []lineworks.Action{lineworks.MessageAction{Label: "x"}}); !errors.Is(err, lineworks.ErrBadRequest) {
		t.Errorf("persistent menu beside a rich menu: %v, want ErrBadRequest", err)
	}

	want := richMenu()
	want.RichmenuID = id
	got, err := c.Bots.GetRichMenu(ctx, testBotID, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("GetRichMenu (-want +got):\n%s", diff)
	}
	second, err := c.Bots.CreateRichMenu(ctx, testBotID, richMenu())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for m, err := range c.Bots.ListRichMenus(ctx, testBotID) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.RichmenuID)
	}
	if !cmp.Equal(ids, []string{id, second}) {
		t.Errorf("ListRichMenus = %v", ids)
	}

	// Image: upload, then set.
	fileID, err := c.Attachments.UploadFile(ctx, testBotID, "menu.png", strings.NewReader("\x89PNG"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Bots.SetRichMenuImage(ctx, testBotID, id, "not-uploaded"); !errors.Is(err, lineworks.ErrBadRequest) {
		t.Errorf("image that was not uploaded: %v", err)
	}
	if err := c.Bots.SetRichMenuImage(ctx, testBotID, id, fileID, lineworks.I18nFileID{Language: lineworks.LanguageEnUS, FileID: fileID}); err != nil {
		t.Fatalf("SetRichMenuImage: %v", err)
	}
	img, err := c.Bots.GetRichMenuImage(ctx, testBotID, id)
	if err != nil || img.FileID != fileID || len(img.I18nFileIDs) != 1 {
		t.Errorf("GetRichMenuImage = %+v, %v", img, err)
	}

	// Default and per-user menus.
	if _, err := c.Bots.GetDefaultRichMenu(ctx, testBotID); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("default before set: %v", err)
	}
	if err := c.Bots.SetDefaultRichMenu(ctx, testBotID, id); err != nil {
		t.Fatalf("SetDefaultRichMenu: %v", err)
	}
	if def, err := c.Bots.GetDefaultRichMenu(ctx, testBotID); def != id || err != nil {
		t.Errorf("GetDefaultRichMenu = %q, %v", def, err)
	}
	if err := c.Bots.SetUserRichMenu(ctx, testBotID, second, "taro@example.com"); err != nil {
		t.Fatalf("SetUserRichMenu: %v", err)
	}
	if got := fake.UserRichMenu(testBotID, "taro@example.com"); got != second {
		t.Errorf("the user sees %q, want %q", got, second)
	}
	um, err := c.Bots.GetUserRichMenu(ctx, testBotID, "taro@example.com")
	if err != nil || um.RichmenuID != second {
		t.Errorf("GetUserRichMenu = %+v, %v", um, err)
	}
	if err := c.Bots.DeleteUserRichMenu(ctx, testBotID, "taro@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := fake.UserRichMenu(testBotID, "taro@example.com"); got != id {
		t.Errorf("after DeleteUserRichMenu the user sees %q, want the default %q", got, id)
	}
	if _, err := c.Bots.GetUserRichMenu(ctx, testBotID, "taro@example.com"); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("GetUserRichMenu after delete: %v", err)
	}
	if err := c.Bots.DeleteDefaultRichMenu(ctx, testBotID); err != nil {
		t.Fatal(err)
	}
	if err := c.Bots.DeleteRichMenu(ctx, testBotID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bots.GetRichMenu(ctx, testBotID, id); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("GetRichMenu after delete: %v", err)
	}
}

func TestRichMenuValidate(t *testing.T) {
	t.Parallel()
	twentyOne := make([]lineworks.RichMenuArea, 21)
	for i := range twentyOne {
		twentyOne[i] = lineworks.RichMenuArea{Bounds: lineworks.RichMenuBounds{X: i, Width: 1, Height: 1}, Action: lineworks.URIAction{URI: "https://e.com"}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*lineworks.RichMenu)
		field  string
	}{
		{"no name", func(m *lineworks.RichMenu) { m.RichmenuName = "" }, "richmenuName"},
		{"long name", func(m *lineworks.RichMenu) { m.RichmenuName = strings.Repeat("名", 301) }, "richmenuName"},
		{"size", func(m *lineworks.RichMenu) { m.Size.Height = 1000 }, "size"},
		{"no areas", func(m *lineworks.RichMenu) { m.Areas = nil }, "areas"},
		{"21 areas", func(m *lineworks.RichMenu) { m.Areas = twentyOne }, "areas"},
		{"outside", func(m *lineworks.RichMenu) { m.Areas[1].Bounds.Width = 1251 }, "areas[1].bounds"},
		{"empty bounds", func(m *lineworks.RichMenu) { m.Areas[0].Bounds.Height = 0 }, "areas[0].bounds"},
		{"camera", func(m *lineworks.RichMenu) { m.Areas[0].Action = lineworks.CameraAction{Label: "c"} }, "areas[0].action.type"},
		{"no action", func(m *lineworks.RichMenu) { m.Areas[0].Action = nil }, "areas[0].action"},
		{"long label", func(m *lineworks.RichMenu) {
			m.Areas[0].Action = lineworks.PostbackAction{Label: strings.Repeat("x", 21), Data: "d"}
		}, "areas[0].action.label"},
	} {
		m := richMenu()
		m.Areas = append([]lineworks.RichMenuArea(nil), m.Areas...)
		tc.mutate(&m)
		err := m.Validate()
		var ve *lineworks.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: err = %v, want a ValidationError on %s", tc.name, err, tc.field)
		}
	}
	if err := richMenu().Validate(); err != nil {
		t.Errorf("valid menu: %v", err)
	}
	// A label is optional in a rich menu.
	m := richMenu()
	m.Areas[0].Action = lineworks.PostbackAction{Data: "d"}
	if err := m.Validate(); err != nil {
		t.Errorf("rich menu without a label: %v", err)
	}
}

func TestMenusAndAttachmentsRejectBadArguments(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c := mockClient(t, mt)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"get persistent bot 0": func() error { _, err := c.Bots.GetPersistentMenu(ctx, 0); return err },
		"delete persistent 0":  func() error { return c.Bots.DeletePersistentMenu(ctx, 0) },
		"create rich bot 0":    func() error { _, err := c.Bots.CreateRichMenu(ctx, 0, richMenu()); return err },
		"create rich invalid":  func() error { _, err := c.Bots.CreateRichMenu(ctx, 1, lineworks.RichMenu{}); return err },
		"get rich empty":       func() error { _, err := c.Bots.GetRichMenu(ctx, 1, ""); return err },
		"delete rich empty":    func() error { return c.Bots.DeleteRichMenu(ctx, 1, "") },
		"image no file":        func() error { return c.Bots.SetRichMenuImage(ctx, 1, "40001", "") },
		"image bad i18n": func() error {
			return c.Bots.SetRichMenuImage(ctx, 1, "40001", "f", lineworks.I18nFileID{Language: "jp", FileID: "f"})
		},
		"get image empty":   func() error { _, err := c.Bots.GetRichMenuImage(ctx, 1, ""); return err },
		"default empty":     func() error { return c.Bots.SetDefaultRichMenu(ctx, 1, "") },
		"get default 0":     func() error { _, err := c.Bots.GetDefaultRichMenu(ctx, 0); return err },
		"delete default 0":  func() error { return c.Bots.DeleteDefaultRichMenu(ctx, 0) },
		"user menu no user": func() error { return c.Bots.SetUserRichMenu(ctx, 1, "40001", "") },
		"get user menu":     func() error { _, err := c.Bots.GetUserRichMenu(ctx, 1, ""); return err },
		"delete user menu":  func() error { return c.Bots.DeleteUserRichMenu(ctx, 1, "") },
		"list rich count": func() error {
			_, err := c.Bots.ListRichMenusPage(ctx, 1, lineworks.PageOptions{Count: 101})
			return err
		},
		"attachment bot 0":  func() error { _, err := c.Attachments.Create(ctx, 0, "a.txt"); return err },
		"attachment name":   func() error { _, err := c.Attachments.Create(ctx, 1, " "); return err },
		"upload nil slot":   func() error { return c.Attachments.Upload(ctx, nil, "a.txt", strings.NewReader("")) },
		"upload nil reader": func() error { _, err := c.Attachments.UploadFile(ctx, 1, "a.txt", nil); return err },
		"download no file":  func() error { _, _, err := c.Attachments.Download(ctx, 1, ""); return err },
		"download bot 0":    func() error { _, _, err := c.Attachments.Download(ctx, 0, "f"); return err },
	} {
		if err := call(); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests were made for invalid arguments", n)
	}
}
