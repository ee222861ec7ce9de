#!/usr/bin/env bash
# Installs what Rollcall's build and tests need, only what is missing, pinned. Idempotent.
# Reaches only package registries (crates.io, npm, PyPI, Debian apt); never GitHub or a CDN.
#   scripts/setup.sh build   – what `make build` / `make run` need (wasm target, wasm-bindgen, wasm-opt)
#   scripts/setup.sh all     – plus Chromium, the end-to-end npm packages and the Python test venv
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- build tools --------------------------------------------------------------------------
# SAML signatures are verified by libxmlsec1 (samael's xmlsec feature builds its bindings with
# bindgen, hence libclang); the test IdP signs with the xmlsec1 and openssl programs.
saml_pkgs="libxmlsec1-dev libxml2-dev libclang-dev pkg-config libssl-dev xmlsec1 openssl"
missing=$(for p in $saml_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  say "installing the XML-security libraries from Debian:" $missing
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen CLI must be exactly the wasm-bindgen crate version in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (about 4 minutes, once)"
  # Not --locked: its lockfile pins a crate version missing from the registry index.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# wasm-opt from npm's binaryen (Debian's is too old and breaks hydration).
if ! command -v npm >/dev/null; then
  say "installing Node.js and npm from Debian"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing binaryen (wasm-opt) from npm"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ "$what" = build ] && exit 0

# --- test tools ---------------------------------------------------------------------------
# A real PostgreSQL server for the storage tests (issue 12); the tests run it themselves, as the
# postgres OS user on a temporary directory and a free port (it refuses to run as root).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
  say "installing PostgreSQL from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql util-linux
fi
if ! command -v chromium >/dev/null; then
  say "installing Debian Chromium"
  apt-get update -qq && apt-get install -y -qq chromium
fi
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test packages (Playwright runner only; it uses Debian's Chromium)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x .venv/bin/python ] || [ end2end/requirements.txt -nt .venv/.installed ]; then
  say "creating the Python test venv (.venv)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r end2end/requirements.txt
  touch .venv/.installed
fi
