package lineworks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

func TestUsersGet(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.AddUser(lineworkstest.User{
		UserID: "c72af563-0f21-4736-11e4-045237113344", Email: "taro.yamada@example.com",
		LastName: "山田", FirstName: "太郎", NickName: "Taro", ExternalKey: "emp-42",
		I18nNames: []lineworks.I18nName{{Language: lineworks.LanguageEnUS, LastName: "Yamada", FirstName: "Taro"}},
	})
	ctx := context.Background()
	for _, id := range []string{"c72af563-0f21-4736-11e4-045237113344", "Taro.Yamada@example.com", "externalKey:emp-42"} {
		u, err := c.Users.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%q): %v", id, err)
		}
		if u.UserID != "c72af563-0f21-4736-11e4-045237113344" || u.DomainID != lineworkstest.DefaultDomainID {
			t.Errorf("Get(%q) = %+v", id, u)
		}
		if got := u.DisplayName(); got != "山田 太郎" {
			t.Errorf("DisplayName = %q, want 山田 太郎", got)
		}
		if got := u.DisplayNameIn(lineworks.LanguageEnUS); got != "Taro Yamada" {
			t.Errorf("DisplayNameIn(en_US) = %q", got)
		}
		if got := u.DisplayNameIn(lineworks.LanguageKoKR); got != "山田 太郎" {
			t.Errorf("DisplayNameIn(ko_KR) = %q, want the fallback", got)
		}
	}
	_, err := c.Users.Get(ctx, "nobody@example.com")
	if !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := c.Users.Get(ctx, ""); !errors.Is(err, lineworks.ErrInvalidArgument) {
		t.Errorf("empty ID: %v", err)
	}
}

func TestUsersGetNeedsUserScope(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.AddUser(lineworkstest.User{UserID: "u1"})
	ts, _ := fake.NewServiceAccount("bot").TokenSource(context.Background())
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Get(context.Background(), "u1"); !errors.Is(err, lineworks.ErrForbidden) {
		t.Errorf("Get with the bot scope only: %v, want ErrForbidden", err)
	}
}

func TestUserDisplayNameFallbacks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		u    *lineworks.User
		want string
	}{
		{&lineworks.User{UserID: "u", UserName: lineworks.UserName{LastName: "山田", FirstName: "太郎"}}, "山田 太郎"},
		{&lineworks.User{UserID: "u", UserName: lineworks.UserName{LastName: " 山田 "}}, "山田"},
		{&lineworks.User{UserID: "u", UserName: lineworks.UserName{FirstName: "太郎"}}, "太郎"},
		{&lineworks.User{UserID: "u", NickName: "たろう", Email: "t@example.com"}, "たろう"},
		{&lineworks.User{UserID: "u", Email: "t@example.com"}, "t@example.com"},
		{&lineworks.User{UserID: "u"}, "u"},
		{nil, ""},
	} {
		if got := tc.u.DisplayName(); got != tc.want {
			t.Errorf("DisplayName(%+v) = %q, want %q", tc.u, got, tc.want)
		}
	}
	u := &lineworks.User{UserID: "u", UserName: lineworks.UserName{LastName: "山田", FirstName: "太郎"},
		I18nNames: []lineworks.I18nName{{Language: lineworks.LanguageZhCN, LastName: "山田", FirstName: "太郎"}, {Language: lineworks.LanguageEnUS}}}
	if diff := cmp.Diff([]string{"山田 太郎", "山田 太郎"}, []string{u.DisplayNameIn(lineworks.LanguageZhCN), u.DisplayNameIn(lineworks.LanguageEnUS)}); diff != "" {
		t.Errorf("DisplayNameIn (-want +got):\n%s", diff)
	}
}
