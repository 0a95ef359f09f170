package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/pgstore"
)

// Open a store shared by every replica of the server. The secret key comes
// from outside the database, so that a dump alone reveals no credentials.
func ExampleOpen() {
	ctx := context.Background()
	key := []byte(os.Getenv("UKETSUKE_SECRET_KEY_RAW")) // 32 bytes, e.g. decoded from base64
	box, err := reception.NewSecretBox(key)
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.Open(ctx, os.Getenv("UKETSUKE_DB"), box,
		pgstore.WithSchema("uketsuke"), // optional: keep the tables out of public
		pgstore.WithMaxConns(8))
	if err != nil {
		log.Fatal(err) // the error never quotes the DSN or its password
	}
	defer store.Close()

	orgs, err := store.ListOrganizations(ctx)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d organizations", len(orgs))
}
