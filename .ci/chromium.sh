#!/bin/sh
# The browser tests drive Debian's Chromium with playwright-core (no browser download at install).
# Installs it when missing and we may (root with apt-get); otherwise says what to do.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ringflag setup: installing Debian chromium for the browser tests" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >&2
  exit 0
fi
echo "ringflag: the browser tests need Chromium at /usr/bin/chromium (Debian: apt-get install chromium)" >&2
exit 1
