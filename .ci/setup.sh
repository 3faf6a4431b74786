#!/bin/sh
# Installs everything Ringflag needs from the project's own files, on a machine with Node 20 and npm.
# Idempotent and quick when nothing changed; `npm start` and `npm test` run it first.
set -eu
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "ringflag setup: installing pnpm 12.4.2" >&2
  npm i -g pnpm@12.4.2 >&2
fi

# better-sqlite3 compiles against Node's headers; where they ship with the system Node (Debian's
# /usr/include/node), point node-gyp at them instead of letting it download them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  npm_config_nodedir=/usr
  export npm_config_nodedir
fi

pnpm install --frozen-lockfile --reporter=append-only >&2
