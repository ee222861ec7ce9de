#!/usr/bin/env bash
# Builds the browser half into target/site — the same layout cargo-leptos produces, without
# needing cargo-leptos (which costs ~21 minutes to install on a fresh machine):
#   target/site/pkg/rollcall.js, rollcall_bg.wasm (wasm-opt -Oz), rollcall.css, favicon.svg
set -euo pipefail
cd "$(dirname "$0")/.."
site=target/site
pkg=$site/pkg
cargo build --profile wasm-release -p rollcall-app --lib --target wasm32-unknown-unknown --features hydrate
mkdir -p "$pkg"
src=target/wasm32-unknown-unknown/wasm-release/rollcall_app.wasm
if [ "$pkg/rollcall_bg.wasm" -nt "$src" ] && [ "$pkg/rollcall.js" -nt "$src" ]; then
  echo "site: WASM unchanged, skipping wasm-bindgen and wasm-opt" >&2
else
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name rollcall "$src"
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$pkg/rollcall_bg.wasm" -o "$pkg/rollcall_bg.wasm.opt"
  mv "$pkg/rollcall_bg.wasm.opt" "$pkg/rollcall_bg.wasm"
  # The server embeds the site (server/build.rs): its next build must pick this one up.
  touch server/build.rs
fi
# Copied only when changed: a new time on an unchanged file would rebuild the server (which
# embeds these files) for nothing.
cmp -s style/main.css "$pkg/rollcall.css" || cp style/main.css "$pkg/rollcall.css"
for f in public/*; do cmp -s "$f" "$site/$(basename "$f")" || cp "$f" "$site/"; done
raw=$(stat -c %s "$pkg/rollcall_bg.wasm")
gz=$(gzip -9 -c "$pkg/rollcall_bg.wasm" | wc -c)
echo "site built: $pkg/rollcall_bg.wasm $((raw / 1024)) KiB, $((gz / 1024)) KiB gzipped" >&2
