from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from builder import frontmatter
from builder.settings import Settings, read_settings

from .conftest import ROOT


def settings(text: str):  # type: ignore[no-untyped-def]
    data, problems = frontmatter.load(text, "content/site.yaml")
    assert not problems
    return read_settings(data, "content/site.yaml")


def test_defaults_when_file_is_absent() -> None:
    assert read_settings(None, "content/site.yaml") == (Settings(), [])


def test_unknown_key_is_an_error_with_a_suggestion() -> None:
    _, problems = settings("title: X\nbase_ulr: https://a.org/\n")
    assert problems[0].line == 2 and "'base_url'" in problems[0].hint


def test_base_url_gets_a_trailing_slash_and_must_be_http() -> None:
    value, _ = settings("base_url: https://example.org/war\n")
    assert value.base_url == "https://example.org/war/"
    _, problems = settings("base_url: javascript:alert(1)\n")
    assert problems and "http" in problems[0].message


def test_wrong_types_are_reported() -> None:
    _, problems = settings("per_page: many\nhome_terms: -1\n")
    assert [p.line for p in problems] == [1, 2]


def test_every_setting_is_documented_in_code_and_readme() -> None:
    source = Path(ROOT / "builder/settings.py").read_text()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    documented = set()
    for field, after in zip(cls.body, cls.body[1:], strict=False):
        if (isinstance(field, ast.AnnAssign) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)):
            documented.add(field.target.id)  # type: ignore[union-attr]
    readme = (ROOT / "README.md").read_text()
    for field in dataclasses.fields(Settings):
        assert field.name in documented, f"setting {field.name} has no docstring"
        assert f"`{field.name}`" in readme, f"setting {field.name} is not in the README"
