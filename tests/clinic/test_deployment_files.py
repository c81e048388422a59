"""The deployment files: docker-compose.yml (no Docker engine here, so its shape is checked), the Makefile and the
run script."""

import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_names_every_production_service():
    assert set(compose()["services"]) == {"migrate", "web", "worker", "beat", "postgres", "redis", "mailpit"}


def test_compose_defines_the_django_service_once_and_reuses_it():
    services = compose()["services"]
    django = [services[name] for name in ("migrate", "web", "worker", "beat")]
    assert all(s["image"] == "clinic:latest" and s["build"] == "." for s in django)
    assert all(s["environment"] == django[0]["environment"] for s in django)
    env = django[0]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["EMAIL_URL"].startswith("smtp://mailpit:")
    assert env["DJANGO_DEBUG"] == "false"


def test_compose_runs_gunicorn_a_worker_and_exactly_one_beat():
    services = compose()["services"]
    assert "gunicorn clinic.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A clinic worker")
    assert services["beat"]["command"].startswith("celery -A clinic beat")
    assert "deploy" not in services["beat"]  # never replicated


def test_worker_and_beat_start_after_migrations_and_web_has_a_health_check():
    services = compose()["services"]
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert "migrate" not in services[name]["command"], name
    check = services["web"]["healthcheck"]
    assert "/healthz" in " ".join(check["test"]) and check["retries"] >= 1
    assert "migrate" not in services["migrate"].get("depends_on", {})


def test_dockerfile_signs_nothing_with_a_committed_key():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "secrets.token_urlsafe" in dockerfile
    assert "DJANGO_SECRET_KEY=build" not in dockerfile


def test_dockerfile_installs_the_pinned_runtime_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert "==" in line, f"{name}: {line} is not pinned"


def test_make_run_installs_the_runtime_requirements_only_and_tests_the_dev_ones():
    makefile = (ROOT / "Makefile").read_text()
    run_line = next(line for line in makefile.splitlines() if line.startswith("run:"))
    assert ".installed-runtime" in run_line and "install" not in run_line.replace(".installed-runtime", "")
    runtime_recipe = makefile.split("$(VENV)/.installed-runtime: requirements.txt\n", 1)[1].split("\n\n", 1)[0]
    assert "-r requirements.txt" in runtime_recipe and "requirements-dev" not in runtime_recipe
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "install" in test_line


def test_make_run_points_email_links_at_its_own_port(tmp_path):
    """The run script gives CLINIC_PUBLIC_URL the port it serves on, unless one is set."""
    script = (ROOT / "scripts" / "run-embedded.sh").read_text()
    prelude = script.split("cleanup()", 1)[0]  # the variables, before any process starts
    probe = tmp_path / "probe.sh"
    probe.write_text(prelude + 'echo "$CLINIC_PUBLIC_URL"\n')
    env = {k: v for k, v in os.environ.items() if k != "CLINIC_PUBLIC_URL"}
    ran = subprocess.run(["bash", str(probe)], env={**env, "PORT": "8123"}, capture_output=True, text=True)
    assert ran.stdout.strip() == "http://127.0.0.1:8123"
    kept = subprocess.run(
        ["bash", str(probe)],
        env={**env, "PORT": "8123", "CLINIC_PUBLIC_URL": "https://clinic.example"},
        capture_output=True,
        text=True,
    )
    assert kept.stdout.strip() == "https://clinic.example"
