#!/usr/bin/env bash
# Regenerates the measured section of BENCHMARKS.md in one command:
#
#   scripts/bench.sh            # writes bench/results/section.md and prints it
#
# It runs the benchmarks of the main module and of the separate bench/ module
# (peer SDKs) with -count ${COUNT:-6}, summarises each set with benchstat, and
# computes every figure as a ratio against a floor or a peer measured in the
# same run (bench/cmd/benchratio). PostgreSQL benchmarks run when
# UKETSUKE_TEST_POSTGRES_URL is set. Takes about 5 minutes on 2 cores.
# REPORT_ONLY=1 rebuilds the section from the results of the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-6}
RSS_COUNT=${RSS_COUNT:-3}
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BENCHSTAT=(go run golang.org/x/perf/cmd/benchstat@latest)

run() { # file, then go test arguments
  local file=$1; shift
  echo "--- go test $*" >&2
  go test -run '^$' "$@" | tee "$OUT/$file" >&2
}

if [ -z "${REPORT_ONLY:-}" ]; then
rm -f "$OUT"/*.txt
run lineworks.txt -bench '^(BenchmarkTokenSourceParallel|BenchmarkSendToChannel|BenchmarkRawPOST|BenchmarkBurst200|BenchmarkCallbackHandler)$' -count "$COUNT" ./lineworks
stores=()
for d in reception/sqlitestore reception/pgstore; do
  if [ -d "$d" ] && grep -qs 'func BenchmarkFloorInsert' "$d"/*_test.go; then stores+=("./$d"); fi
done
if [ ${#stores[@]} -gt 0 ]; then
  run stores.txt -bench '^(BenchmarkCheckIn|BenchmarkFloorInsert)$' -count "$COUNT" "${stores[@]}"
fi
run reliability.txt -bench '^(BenchmarkDelivered|BenchmarkDeliveredFloor|BenchmarkThroughput)$' -count "$COUNT" ./reliability
# One server run of 10,000 visits per count; three are enough for a median.
run rss.txt -bench '^BenchmarkServerRSS$' -benchtime 1x -count "$RSS_COUNT" -timeout 30m ./reliability
echo "--- (cd bench && go test -bench .)" >&2
(cd bench && go test -run '^$' -bench . -count "$COUNT" ./...) | tee "$OUT/peer.txt" >&2
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
{
  echo "## Measured ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) cores ($cpu), $mem, $(uname -s) $(uname -r | cut -d- -f1), $(go env GOVERSION)."
  echo "Regenerate with \`scripts/bench.sh\` (go test -bench … -count $COUNT in the main module and in bench/, then benchstat)."
  echo "Each figure is the median of the $COUNT runs of a benchmark divided by the median of its floor or peer"
  echo "from the same run; absolute times are context only."
  echo
  (cd bench && go run ./cmd/benchratio "$OUT"/*.txt)
  echo
  echo "<details><summary>benchstat</summary>"
  echo
  for f in "$OUT"/*.txt; do
    echo "\`$(basename "$f" .txt)\`:"
    echo
    echo '```'
    "${BENCHSTAT[@]}" "$f"
    echo '```'
    echo
  done
  echo "</details>"
} > "$OUT/section.md"
cat "$OUT/section.md"
