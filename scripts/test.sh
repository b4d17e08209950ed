#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run it.
# As root, Debian's PostgreSQL and Chromium are installed when missing: PostgreSQL runs on
# loopback for the database tests, Chromium drives the browser tests. Without them (not root,
# no apt) those tests are skipped with a reason, and everything else still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing ${missing[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ -z "${WIKIBOT_TEST_POSTGRES_URL:-}" ]; then
  if url=$(bash scripts/postgres.sh); then
    export WIKIBOT_TEST_POSTGRES_URL="$url"
  else
    echo "test.sh: no PostgreSQL available; its tests will be skipped" >&2
  fi
fi
python3 -m pytest "$@"
