package lineworks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures under testdata/roundtrip hold, one file per content type,
// action type and the bot resource, a value with every member the page
// documents, next to the page ("doc"). Decoding one and encoding the result
// must give the same JSON: a member the SDK does not model would be dropped
// silently, which is the bug this property guards against (quick-reply
// i18nImageUrl, i18nLabels of copy/camera actions, createdTime of a bot).

type roundTripFixture struct {
	Doc    string          `json:"doc"`
	Source string          `json:"source"`
	Kind   string          `json:"kind"` // content, action or bot
	JSON   json.RawMessage `json:"json"`
}

func TestRoundTripFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fx roundTripFixture
		if err := json.Unmarshal(data, &fx); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !strings.HasPrefix(fx.Doc, "https://developers.worksmobile.com/") {
			t.Errorf("%s: doc %q is not a developers.worksmobile.com page", file, fx.Doc)
		}
		var head struct{ Type string }
		_ = json.Unmarshal(fx.JSON, &head)
		covered[fx.Kind+":"+head.Type] = true
		t.Run(filepath.Base(file), func(t *testing.T) {
			got := reencode(t, fx)
			if d := diffJSON(t, fx.JSON, got); d != "" {
				t.Errorf("decode+encode changed the JSON (%s) (-want +got):\n%s", fx.Doc, d)
			}
		})
	}
	// Every documented type needs a fixture, or the property proves nothing
	// for the type that lacks one.
	want := []string{"bot:"}
	for _, c := range []string{"text", "sticker", "image", "file", "audio", "video", "location", "link", "button_template", "list_template", "carousel", "image_carousel", "flex"} {
		want = append(want, "content:"+c)
	}
	for _, a := range []string{"postback", "message", "uri", "copy", "camera", "cameraRoll", "location"} {
		want = append(want, "action:"+a)
	}
	for _, k := range want {
		if !covered[k] {
			t.Errorf("no round-trip fixture for %s", k)
		}
	}
	if len(covered) != len(want) {
		var extra []string
		for k := range covered {
			if !slices.Contains(want, k) {
				extra = append(extra, k)
			}
		}
		t.Errorf("fixtures of unexpected kinds: %v", extra)
	}
}

// reencode decodes fx.JSON the way a client would get it and encodes it again.
func reencode(t *testing.T, fx roundTripFixture) []byte {
	t.Helper()
	var (
		v   any
		err error
	)
	switch fx.Kind {
	case "content":
		v, err = DecodeContent(fx.JSON)
	case "action":
		v, err = DecodeAction(fx.JSON)
	case "bot":
		var b Bot
		err = json.Unmarshal(fx.JSON, &b)
		v = b
	default:
		t.Fatalf("unknown kind %q", fx.Kind)
	}
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if c, ok := v.(Content); ok {
		// The fixtures are valid documented values, so they must also pass
		// the SDK's own checks: otherwise they could not be sent.
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return out
}
