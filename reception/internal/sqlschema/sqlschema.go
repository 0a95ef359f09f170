// Package sqlschema reads the schema migrations the SQL drivers embed:
// files named NNNN_name.sql, NNNN the version, applied in version order. A
// released file is never edited; a change is a new file. Each driver
// applies them its own way (its locking and bookkeeping differ); reading
// and ordering them is the same for both.
package sqlschema

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one migration file.
type Migration struct {
	// Version is NNNN.
	Version int
	// Name is the file name without ".sql", e.g. "0001_init".
	Name string
	// SQL is the file's text.
	SQL string
}

// Load returns the migrations dir/*.sql of fsys ordered by version. pkg
// starts the errors' messages.
func Load(fsys fs.FS, dir, pkg string) ([]Migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("%s: migrations: %w", pkg, err)
	}
	var out []Migration
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: migration file %s is not named NNNN_name.sql", pkg, path.Base(name))
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: migration %s: %w", pkg, base, err)
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(data)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("%s: migrations %s and %s have the same version", pkg, out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Pending returns the migrations of ms whose versions are not in applied,
// in order. A version in applied that ms lacks means a newer build
// migrated the database: an error unless allowNewer (migrations only add,
// so older code may keep working during a rolling upgrade).
func Pending(ms []Migration, applied []int, pkg string, allowNewer bool) ([]Migration, error) {
	for _, v := range applied {
		if !allowNewer && !slices.ContainsFunc(ms, func(m Migration) bool { return m.Version == v }) {
			return nil, fmt.Errorf("%s: the database has schema version %d, unknown to this version of %s", pkg, v, pkg)
		}
	}
	return slices.DeleteFunc(slices.Clone(ms), func(m Migration) bool { return slices.Contains(applied, m.Version) }), nil
}
