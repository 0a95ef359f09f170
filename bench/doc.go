// Package bench holds uketsuke's peer benchmarks: measurements against other
// SDKs that the main module must not depend on. It is a separate module
// (github.com/uketsuke/uketsuke/bench) so that those SDKs never enter the
// main module's go.mod; scripts/bench.sh runs it beside the main module's
// benchmarks.
package bench
