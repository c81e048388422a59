"""The desk's code stays in small modules served as files: nothing inline for the Content-Security-Policy to refuse."""

import re
from pathlib import Path

import pytest

FRONTDESK = Path(__file__).resolve().parents[2] / "frontdesk"
SCRIPTS = sorted((FRONTDESK / "static" / "frontdesk").glob("*.js"))
TEMPLATES = sorted((FRONTDESK / "templates" / "frontdesk").glob("*.html"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_module_is_small_enough_to_read_at_once(script):
    assert len(script.read_text().splitlines()) <= 300


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_handler(template):
    text = template.read_text()
    inline_scripts = [m for m in re.finditer(r"<script(?![^>]*\bsrc=)([^>]*)>", text) if "application/json" not in m[1]]
    assert inline_scripts == []
    assert re.search(r"\son[a-z]+\s*=", text) is None
