package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema's migrations, applied in order of their
// number: NNNN_name.sql. A released file is never edited; a change is a
// new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations ordered by version.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("pgstore: migration file %s is not named NNNN_name.sql", base)
		}
		data, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(data)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("pgstore: two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// migrate applies the migrations the database lacks, all in one
// transaction holding a transaction-level advisory lock keyed by the schema,
// so that processes starting at once take turns: the first applies them,
// the others find them applied. schema, if set, is created first (under
// the same lock: concurrent CREATE SCHEMA IF NOT EXISTS can fail).
//
// A database with migrations this build does not know (a newer replica ran
// first) is left alone: migrations only add, so older code keeps working
// during a rolling upgrade.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, err, "connecting")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('uketsuke/pgstore/migrate'), hashtext($1))", schema); err != nil {
		return wrapErr(ctx, err, "migrating: taking the migration lock")
	}
	if schema != "" {
		id := pgx.Identifier{schema}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+id); err != nil {
			return wrapErr(ctx, err, "migrating: creating schema %s", schema)
		}
		// The pool's search_path names the schema, but the connection
		// resolved it before the schema existed.
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+id); err != nil {
			return wrapErr(ctx, err, "migrating: selecting schema %s", schema)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return wrapErr(ctx, err, "migrating: creating schema_migrations")
	}
	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return wrapErr(ctx, err, "migrating: reading schema_migrations")
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return wrapErr(ctx, err, "migrating: reading schema_migrations")
	}
	for _, m := range ms {
		if slices.Contains(applied, int32(m.version)) {
			continue
		}
		// No arguments: pgx sends it with the simple protocol, which runs
		// a file of several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return wrapErr(ctx, err, "migrating: applying %s", m.name)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return wrapErr(ctx, err, "migrating: recording %s", m.name)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapErr(ctx, err, "migrating: committing")
	}
	return nil
}
