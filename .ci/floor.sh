#!/usr/bin/env bash
# The lowest supported versions: a second venv (.venv-floor) with every dependency floor of pyproject.toml
# pinned exactly, then a smaller run: the core, compliance and redesign-attack tests on SQLite, and the
# consent log's own tests on every database whose URL is set (SQLAlchemy's floor is set by PostgreSQL).
# `make test-floor` runs it; .ci/run runs it after `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${FLOOR_VENV:-.venv-floor}

# pyproject.toml's floors, and those of what flask_consent imports directly through Flask (Jinja2, click,
# blinker, MarkupSafe: Flask 3.0.0's and Werkzeug 3.0.0's own floors).
FLOORS=(
  "Flask==3.0.0" "Werkzeug==3.0.0" "Jinja2==3.1.2" "click==8.1.3" "blinker==1.6.2" "MarkupSafe==2.1.1"
  "Flask-WTF==1.2.0" "itsdangerous==2.1.2" "SQLAlchemy==2.0.8" "limits==3.5.0" "Babel==2.12.0"
)
# What the chosen tests need besides: the login integration, Flask-Babel, the two database drivers
# (psycopg 3.1.8 is the first 3.1 with wheels for every Python this runs on here), and pytest.
TEST_ONLY=("Flask-Login==0.6.3" "Flask-Babel==4.0.0" "psycopg[binary]==3.1.8" "PyMySQL==1.1.0" "pytest>=8")

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -e . "${FLOORS[@]}" "${TEST_ONLY[@]}"
"$VENV/bin/python" - "${FLOORS[@]}" <<'PY'
import sys
from importlib.metadata import version

wrong = [f"{pin} (found {version(pin.split('==')[0])})" for pin in sys.argv[1:]
         if version(pin.split("==")[0]) != pin.split("==")[1]]
if wrong:
    sys.exit("floor venv does not hold the floors: " + ", ".join(wrong))
print("floor versions:", " ".join(sys.argv[1:]))
PY

"$VENV/bin/pytest" -q -m "not postgres and not mariadb" \
  tests/test_core_*.py tests/test_compliance_*.py tests/security/test_sec_redesign_attacks.py
"$VENV/bin/pytest" -q tests/test_store_databases.py
