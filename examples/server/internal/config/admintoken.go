package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// adminTokenInfo is the admin token and what the banner says about it.
type AdminTokenInfo struct {
	token string
	// show prints the token in the banner: it was made by this start and
	// the person who started the server has no other way to learn it (a
	// kept token is printed on the start that made it only, so it does not
	// land in every later start's log collection).
	show bool
	// file is where a generated token is kept ("" if nowhere).
	file string
	// perRun is set when the token is generated for this run only.
	perRun bool
}

// adminToken returns UKETSUKE_ADMIN_TOKEN, or for SQLite the token kept in
// <db>.admin-token (generated into it on the first start), or for the
// memory store a token for this run. PostgreSQL requires the setting
// (parseConfig): replicas must share one token, and they share no file.
func AdminToken(cfg *Config) (AdminTokenInfo, error) {
	switch {
	case cfg.AdminToken != "":
		return AdminTokenInfo{token: cfg.AdminToken}, nil
	case cfg.Store == StoreMemory:
		return AdminTokenInfo{token: randomToken(24), show: true, perRun: true}, nil
	case cfg.Store == StorePostgres:
		return AdminTokenInfo{}, &Error{"UKETSUKE_ADMIN_TOKEN", "is required with PostgreSQL"}
	}
	path := sideFile(cfg.DB, ".admin-token")
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		t := strings.TrimSpace(string(data))
		if t == "" {
			err = errors.New("is empty")
		} else {
			err = checkAdminToken(t)
		}
		if err != nil {
			return AdminTokenInfo{}, &Error{"UKETSUKE_ADMIN_TOKEN", fmt.Sprintf("token file %s %v; delete it to generate a new token", path, err)}
		}
		return AdminTokenInfo{token: t, file: path}, nil
	case !errors.Is(err, os.ErrNotExist):
		return AdminTokenInfo{}, &Error{"UKETSUKE_ADMIN_TOKEN", fmt.Sprintf("reading token file: %v", err)}
	}
	t := randomToken(24)
	if err := writeNewFile(path, t+"\n"); err != nil {
		return AdminTokenInfo{}, &Error{"UKETSUKE_ADMIN_TOKEN", fmt.Sprintf("creating token file: %v", err)}
	}
	return AdminTokenInfo{token: t, show: true, file: path}, nil
}

// Banner writes the admin token lines of the start-up banner.
func (a AdminTokenInfo) Banner(w io.Writer) {
	switch {
	case a.perRun:
		fmt.Fprintf(w, "  admin token:        %s\n", a.token)
		fmt.Fprintf(w, "                      (generated for this run: the memory store keeps nothing; set UKETSUKE_ADMIN_TOKEN to keep one)\n")
	case a.show:
		fmt.Fprintf(w, "  admin token:        %s\n", a.token)
		fmt.Fprintf(w, "                      (generated once and kept in %s; printed only now)\n", a.file)
	case a.file != "":
		fmt.Fprintf(w, "  admin token:        kept in %s (or set UKETSUKE_ADMIN_TOKEN)\n", a.file)
	}
}

// Token is the admin token.
func (a AdminTokenInfo) Token() string { return a.token }
