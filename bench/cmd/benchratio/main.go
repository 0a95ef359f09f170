// Command benchratio reads `go test -bench` output files and prints the
// ratio table of BENCHMARKS.md: each figure is the median of one benchmark
// (over -count runs) divided by the median of its floor or peer from the
// same run. Absolute medians are printed beside, as context.
//
//	go run ./cmd/benchratio out/*.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples holds every value of every unit of every benchmark.
type samples map[string]map[string][]float64

var nameRE = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?$`)

func read(files []string) (samples, error) {
	s := samples{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		pkg := ""
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if p, ok := strings.CutPrefix(line, "pkg: "); ok {
				pkg = p[strings.LastIndex(p, "/")+1:]
				continue
			}
			fields := strings.Fields(line)
			if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
				continue
			}
			m := nameRE.FindStringSubmatch(fields[0])
			if m == nil {
				continue
			}
			name := pkg + "." + m[1]
			if s[name] == nil {
				s[name] = map[string][]float64{}
			}
			for i := 2; i+1 < len(fields); i += 2 {
				v, err := strconv.ParseFloat(fields[i], 64)
				if err != nil {
					break
				}
				s[name][fields[i+1]] = append(s[name][fields[i+1]], v)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func (s samples) get(name, unit string) (float64, int, bool) {
	v := s[name][unit]
	if len(v) == 0 {
		return 0, 0, false
	}
	return median(v), len(v), true
}

func human(v float64, unit string) string {
	switch unit {
	case "ns/op":
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.2f µs", v/1e3)
		}
		return fmt.Sprintf("%.1f ns", v)
	case "B/op":
		return fmt.Sprintf("%.0f B", v)
	case "allocs/op":
		return fmt.Sprintf("%.0f allocs", v)
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

// pair is one ratio row: ours over the reference, for one unit.
type pair struct {
	what, ours, ref, unit, target string
	// inverse reports ref/ours (for rates, where more is better).
	inverse bool
}

// single is a figure that is a ratio by itself (reported by the benchmark).
type single struct {
	what, name, unit, target string
}

var pairs = []pair{
	{"client send vs hand-written POST", "lineworks.BenchmarkSendToChannel", "lineworks.BenchmarkRawPOST", "ns/op", "overhead only", false},
	{"client send vs hand-written POST", "lineworks.BenchmarkSendToChannel", "lineworks.BenchmarkRawPOST", "allocs/op", "", false},
	{"callback verify+parse vs line-bot-sdk-go v8 webhook.ParseRequest (same body size)", "bench.BenchmarkCallbackParse/uketsuke", "bench.BenchmarkCallbackParse/linebot", "ns/op", "≤ 1×", false},
	{"callback verify+parse vs line-bot-sdk-go v8", "bench.BenchmarkCallbackParse/uketsuke", "bench.BenchmarkCallbackParse/linebot", "allocs/op", "< 1×", false},
	{"callback verify+parse vs line-bot-sdk-go v8", "bench.BenchmarkCallbackParse/uketsuke", "bench.BenchmarkCallbackParse/linebot", "B/op", "", false},
	{"SQLite store check-in vs one insert transaction", "sqlitestore.BenchmarkCheckIn", "sqlitestore.BenchmarkFloorInsert", "ns/op", "", false},
	{"PostgreSQL store check-in vs one insert transaction (BEGIN…COMMIT)", "pgstore.BenchmarkCheckIn", "pgstore.BenchmarkFloorInsert/begin-commit", "ns/op", "", false},
	{"check-in → delivered, p50, vs insert txn + POST", "reliability.BenchmarkDelivered", "reliability.BenchmarkDeliveredFloor", "p50-ms", "≤ 2×", false},
	{"check-in → delivered, p99, vs insert txn + POST", "reliability.BenchmarkDelivered", "reliability.BenchmarkDeliveredFloor", "p99-ms", "≤ 2×", false},
	{"check-ins delivered per second (8 kiosks), floor rate / ours", "reliability.BenchmarkThroughput/uketsuke", "reliability.BenchmarkThroughput/floor", "ops/s", "", true},
}

var singles = []single{
	{"200-message burst: time / time at the budget's sustained rate", "lineworks.BenchmarkBurst200", "ratio", "< 1, with 0 429s"},
	{"200-message burst: 429s answered by the fake", "lineworks.BenchmarkBurst200", "429s", "0"},
	{"token requests for the whole parallel run", "lineworks.BenchmarkTokenSourceParallel", "token-requests", "1"},
	{"server resident memory after 10,000 visits / idle", "reliability.BenchmarkServerRSS", "after/idle", "(< 500 MiB)"},
}

func main() {
	s, err := read(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	fmt.Println("| Figure | Ratio | Target | Ours (median) | Reference (median) | runs |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, p := range s.expand(pairs) {
		o, n, ok1 := s.get(p.ours, p.unit)
		r, _, ok2 := s.get(p.ref, p.unit)
		if !ok1 || !ok2 || o == 0 || r == 0 {
			continue
		}
		ratio := o / r
		if p.inverse {
			ratio = r / o
		}
		target := p.target
		if target == "" {
			target = "—"
		}
		fmt.Printf("| %s (%s) | **%.2f×** | %s | %s | %s | %d |\n", p.what, p.unit, ratio, target, human(o, p.unit), human(r, p.unit), n)
	}
	for _, x := range singles {
		v, n, ok := s.get(x.name, x.unit)
		if !ok {
			continue
		}
		fmt.Printf("| %s | **%.3g** | %s | — | — | %d |\n", x.what, v, x.target, n)
	}
	s.printMedians()
}

// expand returns the pairs whose benchmarks were read; a pair whose
// benchmark has sub-benchmarks instead becomes one pair per sub-benchmark
// present on both sides, paired by name.
func (s samples) expand(pairs []pair) []pair {
	var expanded []pair
	for _, p := range pairs {
		if _, ok := s[p.ours]; ok {
			expanded = append(expanded, p)
			continue
		}
		var subs []string
		for name := range s {
			if sub, ok := strings.CutPrefix(name, p.ours+"/"); ok {
				if _, ok := s[p.ref+"/"+sub]; ok {
					subs = append(subs, sub)
				}
			}
		}
		slices.Sort(subs)
		for _, sub := range subs {
			q := p
			q.what += ", " + sub
			q.ours, q.ref = p.ours+"/"+sub, p.ref+"/"+sub
			expanded = append(expanded, q)
		}
	}
	return expanded
}

// printMedians prints, as context, the absolute medians of every
// benchmark read.
func (s samples) printMedians() {
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Println()
	fmt.Println("<details><summary>Absolute medians (context only)</summary>")
	fmt.Println()
	fmt.Println("| Benchmark | Medians |")
	fmt.Println("|---|---|")
	for _, k := range names {
		units := make([]string, 0, len(s[k]))
		for u := range s[k] {
			units = append(units, u)
		}
		slices.Sort(units)
		var parts []string
		for _, u := range units {
			if u == "MB/s" {
				continue
			}
			parts = append(parts, human(median(s[k][u]), u))
		}
		fmt.Printf("| %s | %s |\n", k, strings.Join(parts, ", "))
	}
	fmt.Println()
	fmt.Println("</details>")
}
