#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run it.
# PostgreSQL (for the database tests that run on both SQLite and PostgreSQL) is installed and
# started on loopback when we are root; otherwise those tests are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
if [ -z "${WIKIBOT_TEST_POSTGRES_URL:-}" ]; then
  if url=$(bash scripts/postgres.sh); then
    export WIKIBOT_TEST_POSTGRES_URL="$url"
  else
    echo "test.sh: no PostgreSQL available; its tests will be skipped" >&2
  fi
fi
python3 -m pytest "$@"
