#!/usr/bin/env bash
# Build the service images without a Docker engine: buildah (daemonless, from Debian's packages)
# runs deploy/docker/Dockerfile unchanged. Where Docker Hub cannot be reached, the Python base
# image is built here from Debian packages (mmdebstrap from the apt mirror) instead of pulled.
#
# Usage: scripts/image-tools.sh install        apt-get install buildah, mmdebstrap, runc (if missing)
#        scripts/image-tools.sh base           the base image $KINERJA_BASE_IMAGE (cached rootfs)
#        scripts/image-tools.sh build SERVICE [TAG]   build kinerja/SERVICE (default tag :dev)
#        scripts/image-tools.sh buildah ARGS...       buildah on this script's image store
#        scripts/image-tools.sh runtime        print the isolation `buildah run` can use here
#
# Environment:
#   KINERJA_IMAGE_DIR     image store, cached base rootfs, logs (default <repo>/.run/image)
#   KINERJA_BASE_IMAGE    base image name (default localhost/kinerja/python:3.11-bookworm)
#   KINERJA_DEBIAN_MIRROR Debian mirror for the base rootfs (default: the one apt uses here,
#                         else http://deb.debian.org/debian)
#   KINERJA_PYTHON_IMAGE  build FROM this instead (e.g. python:3.11-slim-bookworm where Docker
#                         Hub is reachable); then no base is built
#
# Notes
# - The store is private to the repo (--root/--runroot under KINERJA_IMAGE_DIR), overlay driver,
#   so nothing touches /var/lib/containers.
# - RUN steps reach PyPI. This machine's CA bundle is bind-mounted over the image's for RUN steps
#   only (an egress proxy that re-signs TLS needs it); uv is told to use the system trust store
#   through /etc/uv/uv.toml, mounted the same way. Neither lands in a layer.
# - buildah 1.28 (bookworm) with crun fails on a hybrid cgroup v1/v2 host ("cgroups in hybrid
#   mode not supported"); runc works there, so RUN steps and `buildah run` use runc, or chroot
#   isolation where no OCI runtime works.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${KINERJA_IMAGE_DIR:-$ROOT/.run/image}"
BASE_IMAGE="${KINERJA_BASE_IMAGE:-localhost/kinerja/python:3.11-bookworm}"
SUITE=bookworm
PACKAGES="python3,python3-pip,python-is-python3,ca-certificates"

say() { printf 'image-tools: %s\n' "$*" >&2; }
die() { printf 'image-tools: ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

bah() {
  buildah --root "$DIR/storage" --runroot "$DIR/runroot" --storage-driver overlay "$@"
}

install_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v runc >/dev/null || [[ -x /usr/sbin/runc ]] || missing+=(runc)
  [[ ${#missing[@]} == 0 ]] && return 0
  say "installing ${missing[*]}"
  $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" uidmap >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

debian_mirror() {
  if [[ -n "${KINERJA_DEBIAN_MIRROR:-}" ]]; then echo "$KINERJA_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
          /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

oci_runtime() {  # the isolation flags `buildah run`/RUN steps can use on this host
  local probe
  for rt in runc crun; do
    probe=$(command -v "$rt" || true)
    [[ -z "$probe" && -x "/usr/sbin/$rt" ]] && probe="/usr/sbin/$rt"
    [[ -n "$probe" ]] || continue
    if [[ ! -f "$DIR/runtime.ok" || "$(cat "$DIR/runtime.ok")" != "$probe" ]]; then
      bah images -q "$BASE_IMAGE" >/dev/null 2>&1 || continue
      local c
      c=$(bah from --pull=never "$BASE_IMAGE" 2>/dev/null) || continue
      if bah run --isolation oci --runtime "$probe" --network host "$c" -- true >/dev/null 2>"$DIR/runtime-$rt.err"; then
        echo "$probe" >"$DIR/runtime.ok"
      fi
      bah rm "$c" >/dev/null 2>&1 || true
    fi
    if [[ -f "$DIR/runtime.ok" && "$(cat "$DIR/runtime.ok")" == "$probe" ]]; then
      echo "--isolation oci --runtime $probe"
      return
    fi
  done
  echo "--isolation chroot"
}

build_base() {
  mkdir -p "$DIR"
  exec 9>"$DIR/base.lock"
  flock 9  # two suites on one machine build the base once
  local mirror security key tarball
  mirror="$(debian_mirror)"
  mirror="${mirror%/}"
  security="${mirror%/debian}/debian-security"
  local -a opts=(
    --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "--include=$PACKAGES"
    --aptopt='Acquire::Retries "3"'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    # Like python:3.11-slim: pip may install into the interpreter; no apt lists in the image.
    # /etc/uv exists so the build's uv.toml bind mount leaves no new directory in a layer.
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/usr/lib/python3.11/EXTERNALLY-MANAGED; mkdir -p "$1"/etc/uv'
  )
  local -a sources=("deb $mirror $SUITE main" "deb $mirror $SUITE-updates main" "deb $security $SUITE-security main")
  key=$(printf '%s\n' "${opts[@]}" "${sources[@]}" | sha256sum | cut -c1-12)
  tarball="$DIR/rootfs-$SUITE-python-$key.tar"
  if [[ "$(bah inspect --type image --format '{{index .OCIv1.Config.Labels "kinerja.base.rootfs"}}' "$BASE_IMAGE" 2>/dev/null)" == "$key" ]]; then
    return 0  # built from this recipe already
  fi
  if [[ ! -f "$tarball" ]]; then
    say "building the base rootfs from $mirror (mmdebstrap, about a minute)"
    rm -rf "$DIR"/rootfs-"$SUITE"-python-*.tar "$DIR/rootfs.part"
    mmdebstrap --format=tar "${opts[@]}" "$SUITE" "$DIR/rootfs.part" "${sources[@]}" >"$DIR/mmdebstrap.log" 2>&1 \
      || die "mmdebstrap failed; see $DIR/mmdebstrap.log"
    mv "$DIR/rootfs.part" "$tarball"
  fi
  say "committing $BASE_IMAGE"
  local c
  c=$(bah from scratch)
  bah add "$c" "$tarball" / >/dev/null
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
    --cmd python3 --label "kinerja.base.rootfs=$key" \
    --label org.opencontainers.image.description="Debian $SUITE with python3 from $mirror (scripts/image-tools.sh)" "$c"
  bah commit -q --rm --format docker "$c" "$BASE_IMAGE" >/dev/null
}

build_service() {
  local service="$1" tag="${2:-dev}" port from
  case "$service" in
    activity) port=8001 ;; scoring) port=8002 ;; approval) port=8003 ;; tpp) port=8004 ;; notify) port=8005 ;;
    *) die "unknown service '$service'" ;;
  esac
  local pull=missing from="${KINERJA_PYTHON_IMAGE:-}"
  if [[ -z "$from" ]]; then build_base; from="$BASE_IMAGE"; pull=never; fi
  mkdir -p "$DIR/uv-config"
  printf 'system-certs = true\n' >"$DIR/uv-config/uv.toml"
  local -a mounts=(-v "$DIR/uv-config:/etc/uv:ro")
  if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
    mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
  fi
  local image="localhost/kinerja/$service:$tag"
  bah rmi -f "$image" >/dev/null 2>&1 || true   # no dangling copies pile up in the store
  # shellcheck disable=SC2046
  bah bud $(oci_runtime) --network host --format docker "--pull=$pull" "${mounts[@]}" \
    -f "$ROOT/deploy/docker/Dockerfile" --build-arg "SERVICE=$service" --build-arg "PORT=$port" \
    --build-arg "PYTHON_IMAGE=$from" -t "$image" "$ROOT" >&2
  echo "$image"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  install) install_tools ;;
  base) install_tools; build_base; echo "$BASE_IMAGE" ;;
  build) [[ $# -ge 1 ]] || die "usage: build SERVICE [TAG]"; install_tools; build_service "$@" ;;
  buildah) exec buildah --root "$DIR/storage" --runroot "$DIR/runroot" --storage-driver overlay "$@" ;;
  runtime) oci_runtime ;;
  *) die "usage: $0 install|base|build SERVICE [TAG]|buildah ARGS...|runtime" ;;
esac
