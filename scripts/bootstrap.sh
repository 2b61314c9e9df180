#!/usr/bin/env bash
# Install what the project needs in Python: uv (from PyPI, pinned) and the locked workspace.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-never}"

if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "bootstrap: installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "uv==$UV_VERSION"
  hash -r
fi
cd "$ROOT"
uv sync --frozen --all-packages --quiet
