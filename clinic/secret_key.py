"""This install's own secret key for the embedded mode (settings uses it when DJANGO_SECRET_KEY is not set)."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def install_secret_key(path: Path) -> str:
    """This install's own random key, made on first use and kept in `path` (mode 0600). Several processes starting
    at once agree on one key: the file appears complete or not at all (written aside, then linked into place)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(exist_ok=True)
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Cannot keep this install's secret key in {path} ({exc.strerror}); "
            "set DJANGO_SECRET_KEY or CLINIC_VAR_DIR."
        ) from None
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(64))
    try:
        os.link(draft, path)  # fails when another process linked its key first; then theirs is the key
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
