package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/pgstore"
)

// BenchmarkManyTenants is issue 19's figure: many organizations on one
// PostgreSQL, served by 1 or 3 notify.Services (replicas, each with its own
// pool, connector and fair queue, in this process), against a fake LINE
// WORKS that answers in 50–150 ms and enforces each tenant's budget.
//
// Traffic is skewed: a few big tenants take half the check-ins, arriving
// faster than their 240-a-minute budget allows (so they sit at their budget
// with a backlog); the other tenants share the rest, a quarter of them on the
// Free plan's 60 a minute. Check-ins arrive spread over the arrival window,
// each at a random replica. A third run sends only the quiet tenants'
// check-ins, alone, for the ratio of their p99 with and without the big
// tenants.
//
// Default size: 100 organizations, 1,000 check-ins, 10 s of arrivals.
// UKETSUKE_MANY_TENANTS_FULL=1: 1,000 organizations, 20,000 check-ins, 60 s.
// Run with -benchtime=1x; each iteration is the whole scenario.
func BenchmarkManyTenants(b *testing.B) {
	dsn := freshDatabase(b)
	sz := manySize{orgs: 100, checkins: 1000, big: 5, arrivals: 10 * time.Second}
	if os.Getenv("UKETSUKE_MANY_TENANTS_FULL") == "1" {
		sz = manySize{orgs: 1000, checkins: 20000, big: 10, arrivals: 60 * time.Second}
	}
	plan := sz.plan()
	for _, tc := range []struct {
		name     string
		replicas int
		quiet    bool
	}{{"quiet-alone", 1, true}, {"replicas=1", 1, false}, {"replicas=3", 3, false}} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				r := runManyTenants(b, dsn, sz, plan, tc.replicas, tc.quiet)
				r.report(b)
				if tc.quiet {
					quietAloneP99 = r.quietP99
				} else if quietAloneP99 > 0 {
					b.ReportMetric(r.quietP99.Seconds()/quietAloneP99.Seconds(), "quiet-p99/alone")
				}
			}
		})
	}
}

// quietAloneP99 is the quiet tenants' p99 of the quiet-alone run.
var quietAloneP99 time.Duration

type manySize struct {
	orgs, checkins, big int
	arrivals            time.Duration
}

// manyPlan is who checks in when: org index and arrival offset.
type manyPlan struct {
	budget []int // per organization, requests a minute
	big    []bool
	org    []int
	at     []time.Duration
}

func (sz manySize) plan() manyPlan {
	rng := rand.New(rand.NewPCG(19, 19))
	p := manyPlan{budget: make([]int, sz.orgs), big: make([]bool, sz.orgs)}
	for i := range sz.orgs {
		p.budget[i] = 240
		if i >= sz.big && i%4 == 0 {
			p.budget[i] = 60
		}
		p.big[i] = i < sz.big
	}
	for k := range sz.checkins {
		o := 0
		if k%2 == 0 {
			o = rng.IntN(sz.big)
		} else {
			o = sz.big + rng.IntN(sz.orgs-sz.big)
		}
		p.org = append(p.org, o)
		p.at = append(p.at, time.Duration(rng.Int64N(int64(sz.arrivals))))
	}
	return p
}

type manyResult struct {
	delivered, limited int
	took, bound        time.Duration
	bigP50, bigP99     time.Duration
	quietP50, quietP99 time.Duration
	rssMiB             float64
	replicas           int
}

func (r manyResult) report(b *testing.B) {
	b.ReportMetric(float64(r.delivered)/r.took.Seconds(), "delivered/s")
	b.ReportMetric(float64(r.delivered)/r.bound.Seconds(), "budget-max/s")
	b.ReportMetric(float64(r.limited), "429s")
	b.ReportMetric(float64(r.bigP50.Milliseconds()), "big-p50-ms")
	b.ReportMetric(float64(r.bigP99.Milliseconds()), "big-p99-ms")
	b.ReportMetric(float64(r.quietP50.Milliseconds()), "quiet-p50-ms")
	b.ReportMetric(float64(r.quietP99.Milliseconds()), "quiet-p99-ms")
	b.ReportMetric(r.rssMiB, "process-RSS-MiB")
}

var visitorNo = regexp.MustCompile(`V(\d{6})`)

func runManyTenants(b *testing.B, dsn string, sz manySize, p manyPlan, replicas int, quietOnly bool) manyResult {
	b.Helper()
	ctx := context.Background()
	schema := "many_" + randomHex(4)
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.SetRateLimit(240)
	var lat []lineworkstest.Fault
	for ms := 50; ms <= 150; ms += 10 {
		lat = append(lat, lineworkstest.Fault{Delay: time.Duration(ms) * time.Millisecond})
	}
	fake.SetChaos(1, 19, lat...)
	box, err := reception.NewSecretBox(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	var stores []*pgstore.Store
	for range replicas {
		st, err := pgstore.Open(ctx, dsn, box, pgstore.WithSchema(schema))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		stores = append(stores, st)
	}
	sa := fake.NewServiceAccount("bot")
	key, err := lineworks.ParsePrivateKey(sa.PrivateKey)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range sz.orgs {
		domain := int64(60000000 + i)
		id := fmt.Sprintf("org%04d", i)
		fake.RegisterApp(lineworkstest.App{ClientID: id, ClientSecret: "s" + id, ServiceAccountID: id + ".serviceaccount@example.com",
			PublicKey: &key.PublicKey, Scopes: []string{"bot"}, DomainID: domain})
		fake.SetTenantRateLimit(domain, p.budget[i])
		org := &reception.Organization{ID: id, Name: id, Locale: "ja", CreatedAt: now, UpdatedAt: now,
			Integration: reception.Integration{ClientID: id, ClientSecret: "s" + id, ServiceAccountID: id + ".serviceaccount@example.com",
				PrivateKey: sa.PrivateKey, BotID: int64(4000000 + i), BotSecret: "bs" + id, Scopes: []string{"bot"},
				DomainID: domain, RateLimit: p.budget[i]}}
		if err := stores[0].PutOrganization(ctx, org); err != nil {
			b.Fatal(err)
		}
		if err := stores[0].PutButton(ctx, &reception.Button{ID: "b", OrgID: id, Label: "受付", Enabled: true, ChannelIDs: []string{"room-" + id}}); err != nil {
			b.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	var svcs []*notify.Service
	for i, st := range stores {
		svc, err := notify.New(st, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
			notify.WithLogger(quiet), notify.WithOwner(fmt.Sprint("replica-", i)),
			notify.WithLease(30*time.Second), notify.WithPollInterval(200*time.Millisecond), notify.WithConcurrency(32), notify.WithTenantConcurrency(2))
		if err != nil {
			b.Fatal(err)
		}
		running.Go(func() { _ = svc.Run(runCtx) })
		svcs = append(svcs, svc)
	}
	defer func() { stop(); running.Wait() }()

	// The schedule, and the bound the budgets put on its end: each
	// tenant's last message cannot go before its first arrival plus its
	// count at its budget's pace.
	type arrival struct {
		org int
		at  time.Duration
		no  int
	}
	var sched []arrival
	first := map[int]time.Duration{}
	count := map[int]int{}
	for k := range p.org {
		if quietOnly && p.big[p.org[k]] {
			continue
		}
		sched = append(sched, arrival{org: p.org[k], at: p.at[k], no: k})
		if f, ok := first[p.org[k]]; !ok || p.at[k] < f {
			first[p.org[k]] = p.at[k]
		}
		count[p.org[k]]++
	}
	slices.SortFunc(sched, func(a, b arrival) int { return int(a.at - b.at) })
	var bound time.Duration
	for o, n := range count {
		bound = max(bound, first[o]+time.Duration(n)*time.Minute/time.Duration(p.budget[o]), sz.arrivals)
	}
	checkedIn := make([]time.Time, len(p.org))
	b.ResetTimer()
	start := time.Now()
	var kiosks sync.WaitGroup
	work := make(chan arrival)
	var mu sync.Mutex
	for range 16 {
		kiosks.Go(func() {
			for a := range work {
				svc := svcs[rand.IntN(len(svcs))]
				t0 := time.Now()
				if _, err := svc.CheckIn(ctx, fmt.Sprintf("org%04d", a.org), notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: fmt.Sprintf("V%06d", a.no)}}); err != nil {
					b.Error(err)
					continue
				}
				mu.Lock()
				checkedIn[a.no] = t0
				mu.Unlock()
			}
		})
	}
	for _, a := range sched {
		// Pacing the load to its schedule (arrivals at set times), not waiting.
		time.Sleep(time.Until(start.Add(a.at)))
		work <- a
	}
	close(work)
	kiosks.Wait()
	wctx, cancel := context.WithTimeout(ctx, bound+5*time.Minute)
	defer cancel()
	if err := fake.WaitMessageCount(wctx, len(sched)); err != nil {
		b.Fatalf("delivered %d of %d: %v", len(fake.Messages()), len(sched), err)
	}
	took := time.Since(start)
	b.StopTimer()
	var big, small []time.Duration
	for _, m := range fake.Messages() {
		sm := visitorNo.FindSubmatch(m.Content)
		if sm == nil {
			continue
		}
		no, _ := strconv.Atoi(string(sm[1]))
		d := m.Received.Sub(checkedIn[no])
		if p.big[p.org[no]] {
			big = append(big, d)
		} else {
			small = append(small, d)
		}
	}
	r := manyResult{delivered: len(sched), limited: int(fake.FaultStats().RateLimited), took: took, bound: bound, replicas: replicas, rssMiB: rssMiB()}
	r.bigP50, r.bigP99 = pct(big, 0.5), pct(big, 0.99)
	r.quietP50, r.quietP99 = pct(small, 0.5), pct(small, 0.99)
	return r
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(int(q*float64(len(d))), len(d)-1)]
}

// rssMiB is the process's resident set (VmRSS) at the end of a run: the fake, every
// replica and their pools together.
func rssMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
