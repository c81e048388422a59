"""The README's table of environment variables lists exactly the variables the settings read."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.value):
        return node.value
    return None


def variables_read_by_settings() -> set[str]:
    """Every env.<parser>("NAME"), env("NAME"), _env_or_fail(parser, "NAME", ...), os.environ[...] / .get / getenv."""
    tree = ast.parse((ROOT / "clinic" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            dotted = ast.unparse(func)
            if dotted == "env" or (dotted.startswith("env.") and dotted.count(".") == 1):
                candidates = node.args[:1]
            elif dotted == "_env_or_fail":
                candidates = node.args[1:2]
            elif dotted in ("os.environ.get", "os.getenv", "environ.get"):
                candidates = node.args[:1]
            else:
                continue
            names.update(name for name in map(_name, candidates) if name)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if name := _name(node.slice):
                names.add(name)
    return names


def variables_in_readme_table() -> set[str]:
    """The first column of the README's configuration table (rows that start with a `VARIABLE`)."""
    text = (ROOT / "README.md").read_text()
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", text, flags=re.MULTILINE))


def test_the_parser_finds_the_variables_it_should():
    read = variables_read_by_settings()
    assert {"DATABASE_URL", "EMAIL_URL", "DJANGO_SECRET_KEY", "CLINIC_VAR_DIR", "DJANGO_SECURE_SSL_REDIRECT"} <= read


def test_the_readme_table_lists_every_variable_the_settings_read_and_no_other():
    read, documented = variables_read_by_settings(), variables_in_readme_table()
    assert not read - documented, f"read by clinic/settings.py but missing from the README's table: {read - documented}"
    assert not documented - read, f"in the README's table but read by nothing: {documented - read}"
