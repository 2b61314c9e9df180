#!/usr/bin/env bash
# Install what the project needs in Python: uv (from PyPI, pinned) and the locked workspace.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-never}"

# Tools the scripts use that a minimal Debian may lack (our machines have them all).
missing=()
for pair in curl:curl openssl:openssl java:openjdk-17-jdk-headless mvn:maven; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from Debian's packages"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "bootstrap: installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "uv==$UV_VERSION"
  hash -r
fi
cd "$ROOT"
uv sync --frozen --all-packages --quiet
