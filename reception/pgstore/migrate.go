package pgstore

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/uketsuke/uketsuke/reception/internal/sqlschema"
)

// migrationFiles are the schema's migrations (see package sqlschema).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrations() ([]sqlschema.Migration, error) {
	return sqlschema.Load(migrationFiles, "migrations", "pgstore")
}

// migrate applies the migrations the database lacks, all in one
// transaction holding a transaction-level advisory lock keyed by the schema,
// so that processes starting at once take turns: the first applies them,
// the others find them applied. schema, if set, is created first (under
// the same lock: concurrent CREATE SCHEMA IF NOT EXISTS can fail).
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
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return wrapErr(ctx, err, "migrating: reading schema_migrations")
	}
	// A newer replica may have migrated further: older code keeps
	// working, as migrations only add.
	if ms, err = sqlschema.Pending(ms, applied, "pgstore", true); err != nil {
		return err
	}
	for _, m := range ms {
		// No arguments: pgx sends it with the simple protocol, which runs
		// a file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return wrapErr(ctx, err, "migrating: applying %s", m.Name)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return wrapErr(ctx, err, "migrating: recording %s", m.Name)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapErr(ctx, err, "migrating: committing")
	}
	return nil
}
