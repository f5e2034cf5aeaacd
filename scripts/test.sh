#!/usr/bin/env bash
# Installs what is needed (scripts/install.sh) and runs the whole test suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install.sh"
cd "$root"
exec .venv/bin/python -m pytest "$@"
