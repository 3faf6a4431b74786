#!/bin/sh
# The system programs the tests drive: Debian's Chromium (the browser tests, through playwright-core,
# no browser download at install), PostgreSQL 15 (each test starts its own throwaway server) and
# HAProxy. Installs them when one is missing and we may (root with apt-get); otherwise says what is
# missing and how to install it.
set -eu

PACKAGES="chromium fonts-dejavu-core postgresql haproxy"
missing=""
[ -x /usr/bin/chromium ] || missing="$missing /usr/bin/chromium"
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$missing /usr/lib/postgresql/15/bin/initdb"
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
if [ -z "$missing" ]; then exit 0; fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ringflag setup: missing$missing; installing Debian $PACKAGES" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >&2
  # Debian creates and starts a cluster on port 5432 with the package; the tests start their own
  # servers, so it is not left running.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
  exit 0
fi
echo "ringflag: the tests need$missing (Debian, as root: apt-get install $PACKAGES)" >&2
exit 1
