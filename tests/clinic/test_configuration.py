"""Invalid configuration stops start-up with one clear sentence, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x" * 20 + "a-long-production-secret-key-for-the-test-only-0123456789"


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_URL"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "env,sentence",
    [
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "short"}, "at least 50 random characters"),
        ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL must point to PostgreSQL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "perhaps"}, "DJANGO_DEBUG must be true or false"),
        ({"CLINIC_DEFAULT_TIME_ZONE": "Mars/Olympus"}, "not an IANA time zone"),
        ({"EMAIL_URL": "pigeon://coop"}, "EMAIL_URL"),
    ],
)
def test_bad_configuration_is_one_sentence(env, sentence):
    result = manage("check", **env)
    assert result.returncode != 0
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="clinic.example",
        EMAIL_URL="smtp://mail.clinic.example:587",
    )
    assert result.returncode == 0, result.stderr


def test_reading_the_settings_creates_no_folder_and_a_first_run_makes_what_it_needs(tmp_path):
    var_dir = tmp_path / "fresh-var"
    imported = subprocess.run(
        [sys.executable, "-c", "import clinic.settings"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "CLINIC_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert not var_dir.exists()
    # The embedded mode's first command makes the folder its SQLite file lives in.
    checked = manage("migrate", "--check", CLINIC_VAR_DIR=str(var_dir))
    assert var_dir.is_dir(), checked.stderr
