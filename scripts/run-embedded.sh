#!/usr/bin/env bash
# The embedded default: Django's server, a Celery worker and Celery beat on the filesystem broker, all stopped
# together by Ctrl-C (or when any one of them exits).
set -uo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
# Links in patient emails point at this server unless told otherwise.
export CLINIC_PUBLIC_URL=${CLINIC_PUBLIC_URL:-http://127.0.0.1:$PORT}

cleanup() {
  trap - INT TERM EXIT
  local pids
  pids=$(jobs -p)
  kill $pids 2>/dev/null
  # A warm shutdown lets the worker finish the task in hand; whatever still runs after 10 s is stopped, with the
  # worker's pool, so Ctrl-C always returns.
  for _ in $(seq 20); do
    [ -z "$(jobs -pr)" ] && break
    sleep 0.5
  done
  for pid in $(jobs -pr); do
    pkill -KILL -P "$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
}
trap cleanup INT TERM EXIT

"$PY" -m celery -A clinic worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" &
"$PY" -m celery -A clinic beat --loglevel=INFO &
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload &
wait -n
