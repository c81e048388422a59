#!/usr/bin/env bash
# The embedded default: Django's server, a Celery worker and Celery beat on the filesystem broker, all stopped
# together by Ctrl-C (or when any one of them exits).
set -uo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}

cleanup() {
  trap - INT TERM EXIT
  kill $(jobs -p) 2>/dev/null
  wait 2>/dev/null
}
trap cleanup INT TERM EXIT

"$PY" -m celery -A clinic worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" &
"$PY" -m celery -A clinic beat --loglevel=INFO &
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload &
wait -n
