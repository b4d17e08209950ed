#!/usr/bin/env bash
# Lint and type-check: ruff over the tree ([tool.ruff] in pyproject.toml), then mypy over the two
# packages ([tool.mypy], with the pydantic plugin). Both always run; the exit status is non-zero
# if either found something. Needs the lint extra in the environment it runs from:
#   python3 -m pip install -e '.[lint]'  &&  bash scripts/lint.sh
# PYTHON names another interpreter (e.g. a venv's); arguments go to `ruff check` (default: .).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
for tool in ruff mypy; do
  if ! "$py" -m "$tool" --version >/dev/null 2>&1; then
    echo "lint.sh: $tool is not installed for $py; run: $py -m pip install -e '.[lint]'" >&2
    exit 2
  fi
done
status=0
"$py" -m ruff check "${@:-.}" || status=$?
"$py" -m mypy wikibot service_sandbox || status=$?
exit "$status"
