"""Shared test helpers: tiny sites written inline, and the project's real templates."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
FIXTURE_SITE = Path(__file__).resolve().parent / "fixtures" / "site"
IN_CI = os.environ.get("CI", "").lower() == "true"

PEOPLE = """\
- name: Volodymyr Zelensky
  aliases: [Zelensky, Zelenskyy, Zelenskiy, Зеленський]
  description: President of Ukraine.
- name: Oleksandr Syrskyi
  aliases: [Олександр Сирський]
"""
PLACES = """\
- name: Ukraine
  aliases: [Україна]
- name: Kursk Oblast
  aliases: [Kursk, Kursk region]
  within: Russia
- name: Russia
"""
TOPICS = """\
- name: casualties
- name: North Korean troops
"""


def article(title: str = "A test article", date: str = "2025-02-08", body: str = "Body text.",
            **fields: str) -> str:
    """The text of a valid article; `fields` add or replace front-matter lines verbatim."""
    lines = {"title": title, "date": date, "summary": "A summary in our words.",
             "source": "\n  name: Test Wire\n  url: https://example.com/story",
             "people": "[Zelensky]", "places": "[Kursk]", "topics": "[casualties]"}
    lines.update(fields)
    front = "\n".join(f"{key}: {value}" for key, value in lines.items() if value is not None)
    return f"---\n{front}\n---\n{body}\n"


MakeSite = Callable[..., Path]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """Writes a tiny site: registries, site.yaml, the real templates, and the given files.

    `files` maps paths relative to the site folder to text (or bytes); registries can be
    replaced by passing e.g. ``{"content/people.yaml": "..."}``.
    """

    def make(files: dict[str, str | bytes] | None = None, site_yaml: str = "") -> Path:
        return write_site(tmp_path / "site", files, site_yaml)

    return make


def write_site(site: Path, files: dict[str, str | bytes] | None = None,
               site_yaml: str = "") -> Path:
    """The files of `make_site`, written into `site`; usable from any fixture scope."""
    defaults: dict[str, str | bytes] = {
        "content/site.yaml": site_yaml or "title: Test Archive\nbase_url: https://example.org/\n",
        "content/people.yaml": PEOPLE, "content/places.yaml": PLACES,
        "content/topics.yaml": TOPICS,
    }
    for rel, data in {**defaults, **(files or {})}.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data) if rel.endswith(".yaml") else data,
                            encoding="utf-8")
    if not (site / "templates").exists():
        shutil.copytree(TEMPLATES, site / "templates")
    return site


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from a fresh build of tests/fixtures/site "
                          "instead of comparing against it; review the result with git diff")
