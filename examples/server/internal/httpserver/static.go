package httpserver

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"strings"
)

// registerStatic serves the embedded assets and the bot's icon.
func registerStatic(mux *http.ServeMux) {
	sub, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(sub)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only files: a directory would be listed (the templates' names and
		// what else is embedded), and pages are served by their handlers.
		name := strings.TrimSuffix(r.URL.Path, "/")
		if st, err := fs.Stat(sub, name); err != nil || st.IsDir() || strings.HasSuffix(name, ".html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})))
	icon := botIcon()
	mux.HandleFunc("GET /static/bot.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(icon)
	})
}

// botIcon draws the bot's profile picture (LINE WORKS requires one): a
// green disc, made at start-up so the repository holds no binary.
func botIcon() []byte {
	const n = 160
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	green, white := color.NRGBA{0x00, 0xc7, 0x3c, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := range n {
		for x := range n {
			dx, dy := x-n/2, y-n/2
			switch d := dx*dx + dy*dy; {
			case d < (n/2)*(n/2) && !(d < 30*30 && d > 22*22):
				img.Set(x, y, green)
			case d <= 30*30:
				img.Set(x, y, white)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
