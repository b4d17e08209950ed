#!/usr/bin/env bash
# Start PostgreSQL on loopback for the tests (Debian's cluster tools, as root) and print the
# SQLAlchemy URL of an empty test database owned by a `wikibot` role.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "postgres.sh: needs Debian's postgresql package and root" >&2
  exit 1
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
# Loopback only.
mkdir -p "/etc/postgresql/$version/main/conf.d"
echo "listen_addresses = '127.0.0.1'" > "/etc/postgresql/$version/main/conf.d/wikibot.conf"
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -q && break
  sleep 0.5
done
port=$(pg_conftool -s "$version" main show port)
su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname='wikibot'\" | grep -q 1 || psql -q -p $port -c \"CREATE ROLE wikibot LOGIN PASSWORD 'wikibot' CREATEDB\"" >&2
su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_database WHERE datname='wikibot_test'\" | grep -q 1 || psql -q -p $port -c 'CREATE DATABASE wikibot_test OWNER wikibot'" >&2
echo "postgresql+psycopg://wikibot:wikibot@127.0.0.1:$port/wikibot_test"
