#!/usr/bin/env bash
# Installs what is needed (scripts/install.sh) and starts the demo: a dispatch server on the demo city and a
# console connected to it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install.sh"
exec "$root/.venv/bin/onemap" demo "$@"
