#!/usr/bin/env bash
# Refreshes the translation sources from the code (lupdate) and compiles them (lrelease).
# Translators edit resources/i18n/*.ts (e.g. with Qt Linguist); tests/console/test_translations.py checks
# that every string of the interface is translated and that the .qm files are compiled from the .ts.
set -euo pipefail
cd "$(dirname "$0")/.."
sources=$(ls console/*.py map/*.py video/*.py)
for ts in resources/i18n/*.ts; do
  .venv/bin/pyside6-lupdate $sources -ts "$ts" -no-obsolete -locations none
  .venv/bin/pyside6-lrelease "$ts" -qm "${ts%.ts}.qm"
done
