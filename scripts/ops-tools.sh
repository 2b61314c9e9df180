#!/usr/bin/env bash
# Install the tools that tests/deploy runs offline, into .run/tools (never system-wide):
#
#   .run/tools/docker/cli-plugins/docker-compose   Docker Compose v2, built from its Go module
#                                                  (`DOCKER_CONFIG=.run/tools/docker docker compose …`)
#   .run/tools/bin/promtool                        from Debian's `prometheus` package (only the binary
#                                                  is unpacked: no daemon is installed or started)
#   .run/tools/k8s-validate/                       a virtualenv with kubernetes-validate from PyPI
#                                                  (the Kubernetes JSON schemas, used by deploy/k8s/validate.py)
#
# Idempotent: each tool is checked against its pinned version first, so a second run takes well
# under a second. First run on a new machine: about 2-4 minutes (the Compose build; about 10 s
# when Go's build cache is warm). Needs Go (on PATH or /usr/local/go/bin, at least the version in
# Compose's go.mod), apt-get and uv (scripts/bootstrap.sh). KINERJA_TOOLS_DIR moves the install.
#
#   bash scripts/ops-tools.sh            # install what is missing
#   bash scripts/ops-tools.sh --print    # print the tools' paths and versions
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${KINERJA_TOOLS_DIR:-$ROOT/.run/tools}"

COMPOSE_MODULE=github.com/docker/compose/v2
COMPOSE_VERSION=v2.40.3
KUBERNETES_VALIDATE_VERSION=1.37.0
PROMTOOL_MIN_MAJOR=2          # any Debian prometheus >= 2.x has `promtool test rules`

COMPOSE_BIN="$TOOLS/docker/cli-plugins/docker-compose"
PROMTOOL_BIN="$TOOLS/bin/promtool"
KV_VENV="$TOOLS/k8s-validate"

log() { echo "ops-tools: $*" >&2; }

compose_ok() { [ -x "$COMPOSE_BIN" ] && [ "$("$COMPOSE_BIN" version --short 2>/dev/null)" = "${COMPOSE_VERSION#v}" ]; }
promtool_ok() {
  [ -x "$PROMTOOL_BIN" ] || return 1
  local v; v="$("$PROMTOOL_BIN" --version 2>&1 | sed -n 's/^promtool, version \([0-9]*\)\..*/\1/p')"
  [ -n "$v" ] && [ "$v" -ge "$PROMTOOL_MIN_MAJOR" ]
}
kv_ok() { [ -x "$KV_VENV/bin/python" ] && [ "$(cat "$KV_VENV/.kinerja-version" 2>/dev/null)" = "$KUBERNETES_VALIDATE_VERSION" ]; }

install_compose() {
  local go
  go="$(command -v go || true)"
  [ -n "$go" ] || go=/usr/local/go/bin/go
  [ -x "$go" ] || { log "Go is needed to build Docker Compose (none on PATH or in /usr/local/go)"; return 1; }
  log "building Docker Compose $COMPOSE_VERSION from its Go module (minutes on a new machine, seconds with a warm Go build cache)"
  local started dir; started=$(date +%s)
  # `go install module/cmd@version` refuses Compose (its go.mod has exclude directives), so build
  # the downloaded module as the main module, where those directives apply as its authors meant.
  dir="$(GOTOOLCHAIN=local "$go" mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { log "could not download $COMPOSE_MODULE@$COMPOSE_VERSION"; return 1; }
  mkdir -p "$(dirname "$COMPOSE_BIN")"
  (cd "$dir" && GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -trimpath \
    -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" -o "$COMPOSE_BIN.tmp" ./cmd)
  mv "$COMPOSE_BIN.tmp" "$COMPOSE_BIN"
  log "Docker Compose $("$COMPOSE_BIN" version --short) in $(( $(date +%s) - started ))s"
}

install_promtool() {
  log "unpacking promtool from Debian's prometheus package"
  local tmp; tmp="$(mktemp -d)"
  chmod 0777 "$tmp"   # apt-get download runs as _apt and writes here
  if ! (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1); then
    apt-get update -q >/dev/null
    (cd "$tmp" && apt-get download -q prometheus >/dev/null)
  fi
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p "$(dirname "$PROMTOOL_BIN")"
  install -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL_BIN"
  rm -rf "$tmp"
  log "$("$PROMTOOL_BIN" --version 2>&1 | head -1)"
}

install_kubernetes_validate() {
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI) into $KV_VENV"
  local py; py="$(command -v python3)"
  rm -rf "$KV_VENV"
  uv venv -q --python "$py" "$KV_VENV"
  uv pip install -q --python "$KV_VENV/bin/python" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  echo "$KUBERNETES_VALIDATE_VERSION" > "$KV_VENV/.kinerja-version"
}

if [ "${1:-}" = "--print" ]; then
  echo "docker-compose $COMPOSE_BIN $("$COMPOSE_BIN" version --short 2>/dev/null || echo missing)"
  echo "promtool $PROMTOOL_BIN $("$PROMTOOL_BIN" --version 2>&1 | head -1 || echo missing)"
  echo "kubernetes-validate $KV_VENV $(cat "$KV_VENV/.kinerja-version" 2>/dev/null || echo missing)"
  exit 0
fi

compose_ok || install_compose
promtool_ok || install_promtool
kv_ok || install_kubernetes_validate
