#!/usr/bin/env bash
# Debian's Chromium for the web app's browser tests (Playwright drives it; its own browser
# download is not used). Installs it when missing; quiet otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null || { echo "browser-tools: chromium not installed" >&2; exit 1; }
