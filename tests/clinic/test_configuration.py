"""Invalid configuration stops start-up with one clear sentence, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from tests.services import redis_url

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
        CLINIC_PUBLIC_URL="https://clinic.example",
    )
    assert result.returncode == 0, result.stderr


def test_reading_the_settings_creates_no_folder_and_a_first_run_makes_what_it_needs(tmp_path):
    var_dir = tmp_path / "fresh-var"
    imported = subprocess.run(
        [sys.executable, "-c", "import clinic.settings"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "CLINIC_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": GOOD_SECRET,  # without one, the folder holds the install's key (test below)
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert not var_dir.exists()
    # The embedded mode's first command makes the folder its SQLite file lives in.
    checked = manage("migrate", "--check", CLINIC_VAR_DIR=str(var_dir))
    assert var_dir.is_dir(), checked.stderr


def settings_of(*names, **env) -> list[str]:
    """The values of settings as a fresh process with `env` loads them."""
    code = (
        f"from django.conf import settings; print(*[repr(getattr(settings, n)) for n in {list(names)!r}], sep=chr(10))"
    )
    result = manage("shell", "--verbosity", "0", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_without_a_secret_key_the_install_makes_its_own_once_kept_private(tmp_path):
    var = tmp_path / "var"  # does not exist yet: made for the key, and nothing else
    first = settings_of("SECRET_KEY", "DEBUG", CLINIC_VAR_DIR=str(var))
    key_file = var / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first == [repr(key_file.read_text().strip()), "False"]  # and debug is off unless asked for
    assert len(key_file.read_text().strip()) >= 50
    assert settings_of("SECRET_KEY", CLINIC_VAR_DIR=str(var)) == first[:1]  # the same key on every start
    other = settings_of("SECRET_KEY", CLINIC_VAR_DIR=str(tmp_path / "other-install"))
    assert other != first[:1]  # another install, another key


def test_debug_pages_only_when_asked_for_and_plain_http_on_loopback_keeps_working(tmp_path):
    var = str(tmp_path)
    assert settings_of("DEBUG", CLINIC_VAR_DIR=var) == ["False"]
    assert settings_of("DEBUG", CLINIC_VAR_DIR=var, DJANGO_DEBUG="true") == ["True"]
    # make run: http://127.0.0.1 with debug off; no redirect to https, cookies a browser sends over plain http.
    assert settings_of("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", CLINIC_VAR_DIR=var) == [
        "False",
        "False",
        "False",
    ]
    assert settings_of(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        CLINIC_VAR_DIR=var,
        CLINIC_PUBLIC_URL="https://clinic.example",
        DJANGO_SECRET_KEY=GOOD_SECRET,
    ) == ["True", "True"]


def test_a_claim_shorter_than_a_send_can_take_is_refused_at_start_up():
    result = manage("check", CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS="30", CLINIC_EMAIL_TIMEOUT_SECONDS="15")
    assert result.returncode != 0
    assert "CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS must be at least" in result.stderr


def test_request_rates_are_counted_in_redis_when_there_is_one_and_sign_ins_in_the_database():
    with_redis = settings_of("CACHES", "AXES_HANDLER", REDIS_URL="redis://redis.example:6379/3")
    embedded = settings_of("CACHES", REDIS_URL="")

    assert "'django.core.cache.backends.redis.RedisCache'" in with_redis[0]
    assert "'LOCATION': 'redis://redis.example:6379/3'" in with_redis[0]
    assert with_redis[1] == "'axes.handlers.database.AxesDatabaseHandler'"
    assert "'django.core.cache.backends.locmem.LocMemCache'" in embedded[0]


@pytest.mark.redis
def test_a_request_count_written_by_one_process_is_read_by_another():
    url = redis_url()
    code = "from django.core.cache import cache; cache.set('rate-probe', 7, 60)"
    assert manage("shell", "--verbosity", "0", "-c", code, REDIS_URL=url).returncode == 0

    # Another process: this one, with a cache of its own configured as the settings configure it.
    reader = RedisCache(url, {"KEY_PREFIX": settings.CLINIC_CACHE_KEY_PREFIX})
    try:
        assert reader.get("rate-probe") == 7
    finally:
        reader.delete("rate-probe")
