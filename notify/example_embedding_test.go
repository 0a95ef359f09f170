package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/pgstore"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

// An application with its own visitors table embeds uketsuke: the visitor
// row and the notification commit in one transaction, the visit carries
// the row's ID as its reference, and the application hears back who
// accepted the visitor. LINE WORKS is lineworkstest here; in production,
// leave APIURL and TokenURL empty and call svc.Run(ctx) in the background
// instead of the steps at the end.
func Example_embedding() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "uketsuke-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// One SQLite file holds the application's tables and uketsuke's.
	box, _ := reception.NewSecretBox(bytes.Repeat([]byte{1}, reception.SecretKeySize)) // in production: a key kept outside the database
	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "app.db"), box)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := store.DB().ExecContext(ctx, `CREATE TABLE visitors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, handled_by TEXT)`); err != nil {
		log.Fatal(err)
	}

	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")

	// The application's event handler: called until it returns nil, once
	// the store committed what it reports.
	onEvent := func(ctx context.Context, ev notify.Event) error {
		if ev.Kind != notify.EventAccepted {
			return nil
		}
		fmt.Printf("visitor %s accepted by %s\n", ev.Reference, ev.UserID)
		_, err := store.DB().ExecContext(ctx, `UPDATE visitors SET handled_by = ? WHERE id = ?`, ev.UserID, ev.Reference)
		return err
	}

	// One company, one LINE WORKS app, a room per department.
	svc, err := notify.NewCompany(ctx, store, notify.Company{
		ID: "acme", ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, BotID: 2000001, BotSecret: "bot-secret", RateLimit: 240,
		Departments: map[string]string{"sales": "room-sales", "support": "room-support"},
		Labels:      map[string]string{"sales": "営業部", "support": "サポート"},
		APIURL:      fake.APIURL, TokenURL: fake.TokenURL,
	}, notify.WithEventHandler(onEvent), notify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}

	// The visitor's row and the check-in, in the application's transaction.
	tx, err := store.DB().BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO visitors (name) VALUES (?)`, "佐藤 花子")
	if err != nil {
		log.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if _, err := svc.CheckInTx(ctx, tx, "acme", notify.CheckInRequest{
		ButtonID: "sales", Visitor: notify.Visitor{Name: "佐藤 花子"}, Reference: fmt.Sprint(id),
	}); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}

	// What svc.Run does in the background, and a staff member tapping
	// 「対応します」 in the room (LINE WORKS posts a signed callback).
	runAndTap(ctx, svc, fake, "yamada@acme")

	var handledBy string
	_ = store.DB().QueryRowContext(ctx, `SELECT handled_by FROM visitors WHERE id = ?`, id).Scan(&handledBy)
	fmt.Println("visitors row: handled by", handledBy)
	// Output:
	// room-sales: 佐藤 花子 様が「営業部」でお越しです。
	// callback answered 200
	// visitor 1 accepted by yamada@acme
	// visitors row: handled by yamada@acme
}

// runAndTap sends the due messages, prints the room message, taps its
// first action as userID, and handles the callback with what follows.
func runAndTap(ctx context.Context, svc *notify.Service, fake *lineworkstest.Server, userID string) {
	_, _ = svc.DispatchOnce(ctx)
	msg := fake.Messages()[0]
	var content struct {
		ContentText string `json:"contentText"`
		Actions     []struct{ Label, Postback string }
	}
	_ = json.Unmarshal(msg.Content, &content)
	fmt.Printf("%s: %s\n", msg.ChannelID, strings.SplitN(content.ContentText, "\n", 2)[0])

	tap := lineworkstest.MessageTapEvent(userID, msg.ChannelID, content.Actions[0].Label, content.Actions[0].Postback)
	rec := lineworkstest.CallbackSender{BotID: 2000001, Secret: "bot-secret"}.ServeTo(svc.CallbackHandler(), tap)
	fmt.Println("callback answered", rec.Code)
	_, _ = svc.ProcessInboxOnce(ctx)
	for n := 1; n > 0; {
		n, _ = svc.DispatchOnce(ctx)
	}
}

// With PostgreSQL, the application shares its pgx pool with pgstore and
// hands CheckInTx its own pgx.Tx: the visitor row and the queued
// notification commit together. (Not run by go test: it needs a
// database.)
func ExampleService_CheckInTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	box, err := reception.NewSecretBox([]byte(os.Getenv("UKETSUKE_SECRET_KEY_RAW"))) // 32 bytes
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(ctx, pool, box) // uketsuke's tables beside the application's
	if err != nil {
		log.Fatal(err)
	}
	svc, err := notify.NewCompany(ctx, store, notify.Company{ /* credentials and departments */ })
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = svc.Run(ctx) }()

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	var visitorID int64
	if err := tx.QueryRow(ctx, `INSERT INTO visitors (name) VALUES ($1) RETURNING id`, "佐藤 花子").Scan(&visitorID); err != nil {
		log.Fatal(err)
	}
	if _, err := svc.CheckInTx(ctx, tx, "company", notify.CheckInRequest{
		ButtonID: "sales", Visitor: notify.Visitor{Name: "佐藤 花子"}, Reference: fmt.Sprint(visitorID),
	}); err != nil {
		log.Fatal(err) // nothing of the check-in is stored; tx is still usable
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	svc.Wake() // send now rather than at the next poll
}
