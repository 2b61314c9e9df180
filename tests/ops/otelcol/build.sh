#!/usr/bin/env bash
# Build the test collector (main.go: upstream OpenTelemetry Collector core, OTLP receiver, batch
# processor, OTLP/HTTP exporter) from the Go module proxy, once per source change. Prints the
# binary's path. A first build downloads ~120 MB of modules and compiles for about 2.5 minutes; after
# that it is cached under <repo>/.run/otelcol and in Go's own caches.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${KINERJA_OTELCOL_DIR:-$ROOT/.run/otelcol}"
GO="$(command -v go || true)"
[[ -n "$GO" ]] || GO=/usr/local/go/bin/go
[[ -x "$GO" ]] || { echo "otelcol: no Go toolchain (go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }
key=$(cat "$HERE/go.mod" "$HERE/go.sum" "$HERE/main.go" | sha256sum | cut -c1-12)
bin="$OUT/otelcol-$key"
mkdir -p "$OUT"
exec 9>"$OUT/build.lock"
flock 9  # two suites on one machine build it once
if [[ ! -x "$bin" ]]; then
  echo "otelcol: building $bin" >&2
  (cd "$HERE" && "$GO" build -trimpath -ldflags=-s -o "$bin.part" .) >&2
  mv "$bin.part" "$bin"
  find "$OUT" -maxdepth 1 -name 'otelcol-*' ! -name "otelcol-$key" -delete
fi
echo "$bin"
