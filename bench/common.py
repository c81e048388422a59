"""What every benchmark shares: databases loaded once and reused, the environment, percentiles, the machine.

A data set is identified by its seed_load arguments, written as the PostgreSQL database's comment: a database
whose comment matches is reused (after `migrate`), any other is dropped and loaded again.
"""

import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
MAIN_DB = os.environ.get("BENCH_DB", "clinic_bench")
RESULTS = REPO / "var" / "bench"
# The data set of the issue: 100,000 patients, 200,000 appointments, four years of history, 40 practitioners in
# two locations of 20 (so availability at a location covers 20 practitioners).
MAIN_DATA = dict(practitioners=40, days=1460, appointments=200_000, patients=100_000, seed=1)
# Raise when seed_load writes different data for the same arguments: the databases are then loaded again.
DATA_VERSION = 2
RANDOM_PAGE_COST = 1.1
BENCH_SECRET_KEY = "bench-only-secret-key-" + "x" * 40


def database_url(db: str) -> str:
    return f"{PG_SERVER}/{db}"


def env_for(db: str) -> dict:
    """Production-like settings (DEBUG off) on the given database, with the bench URLconf."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }


def _admin_connection():
    import psycopg

    return psycopg.connect(database_url("postgres"), autocommit=True)


def ensure_loaded(db: str, params: dict, *, fresh: bool = False) -> None:
    """Make `db` hold the seed_load data set `params`: reuse it when it already does, load it otherwise."""
    wanted = json.dumps({**params, "version": DATA_VERSION}, sort_keys=True)
    with _admin_connection() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [db]
        ).fetchone()
        reuse = row is not None and row[0] == wanted and not fresh
        if not reuse:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
        # The data is on SSD and in memory: with the default random_page_cost of 4 the planner prefers a
        # sequential scan over the trigram indexes for patient search (80 ms instead of 7 ms). See README.
        admin.execute(f'ALTER DATABASE "{db}" SET random_page_cost = {RANDOM_PAGE_COST}')
    env = env_for(db)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    if reuse:
        return
    print(f"loading {db}: seed_load {params} ...", flush=True)
    args = [f"--{name}={value}" for name, value in params.items()]
    subprocess.run([PYTHON, "manage.py", "seed_load", *args], cwd=REPO, env=env, check=True)
    with _admin_connection() as admin:
        admin.execute(f"COMMENT ON DATABASE \"{db}\" IS '{wanted}'")


def setup_django(db: str) -> None:
    """Configure this process for `db` with the bench settings (call before importing models)."""
    import django

    for name, value in env_for(db).items():
        if name != "PYTHONPATH":
            os.environ[name] = value
    sys.path.insert(0, str(REPO))
    django.setup()


def bench_tokens(count: int) -> list[str]:
    """Fresh API tokens of `count` front-desk users made for the benchmark (users created once, reused; tokens are
    stored hashed and expire, so each run signs in anew)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from clinic.api.authentication import api_token_issue
    from clinic.roles import FRONT_DESK

    group = Group.objects.get_or_create(name=FRONT_DESK)[0]
    tokens = []
    for k in range(count):
        user, created = get_user_model().objects.get_or_create(username=f"bench-desk-{k + 1}")
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
        tokens.append(api_token_issue(user=user)[1])
    return tokens


def percentiles(samples_ms: list[float]) -> dict:
    """p50/p95/p99 (nearest rank) and the count, in milliseconds."""
    if not samples_ms:
        return {"n": 0, "p50": None, "p95": None, "p99": None}
    ordered = sorted(samples_ms)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))], 2)

    return {"n": len(ordered), "p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99)}


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def machine() -> dict:
    """The machine the figures come from."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    cpu = names[0] if names else platform.processor() or "unknown"
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with _admin_connection() as admin:
        postgres = admin.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "postgres": postgres,
        "kernel": platform.release(),
        "load average (1 min)": round(os.getloadavg()[0], 1),
    }


def markdown_table(headers: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.2f}" if value < 100 else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"at": time.strftime("%Y-%m-%d %H:%M:%S %Z"), **data}, indent=2, default=str))
    return path


def cpu_seconds_by_group(server_pid: int | None = None) -> dict:
    """CPU seconds (user + system) used so far by the processes of this machine, grouped: the gunicorn server and
    its workers, PostgreSQL, Redis, this process (the load driver), and everything else. Two readings around a
    phase show where the machine's cores went. Linux only (reads /proc); empty elsewhere."""
    proc = Path("/proc")
    if not proc.exists():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    parents, used, names = {}, {}, {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid], names[pid] = int(fields[1]), name
        # Own and waited-for children's time: a PostgreSQL backend or gunicorn worker that exits mid-phase stays
        # counted, in its parent.
        used[pid] = sum(int(field) for field in fields[11:15]) / tick

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 1)
        return False

    groups = defaultdict(float)
    for pid, seconds in used.items():
        if server_pid and under(pid, server_pid):
            group = "server"
        elif names[pid].startswith("postgres"):
            group = "postgres"
        elif names[pid].startswith("redis"):
            group = "redis"
        elif pid == os.getpid():
            group = "driver"
        else:
            group = "other"
        groups[group] += seconds
    return dict(groups)
