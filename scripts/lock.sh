#!/usr/bin/env bash
# Re-pin the test environment: resolve pyproject.toml's dependencies plus the `test` and `lint` extras to
# today's newest allowed releases and write them to constraints/test.txt, the versions
# scripts/test.sh installs. Then run `bash scripts/test.sh` and commit the file if it passes:
# a new release of pytest, schemathesis or hypothesis reaches CI only through this step.
#   bash scripts/lock.sh                      # everything to the newest allowed release
#   bash scripts/lock.sh --upgrade-package X  # only X (other uv pip compile options pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check 'uv>=0.5'
upgrade=(--upgrade)
for arg in "$@"; do [ "$arg" = --upgrade-package ] && upgrade=(); done
# --universal: one file valid on every platform and Python >= 3.11 (markers where they differ).
"$tools/bin/uv" pip compile pyproject.toml --extra test --extra lint --universal --python-version 3.11 \
  --quiet --custom-compile-command "bash scripts/lock.sh" "${upgrade[@]}" "$@" -o constraints/test.txt
echo "lock.sh: constraints/test.txt updated; now run bash scripts/test.sh and commit it if green" >&2
