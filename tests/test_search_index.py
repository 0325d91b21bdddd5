"""The search index stage: parts built by real Pagefind, a few at once; a failure anywhere
leaves the published site as it was."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from builder import model, pipeline, search

from .conftest import MakeSite, article


def dated_articles(years: range) -> dict[str, str | bytes]:
    return {f"content/articles/{year}/a{year}.md": article(f"Report of {year}", f"{year}-05-01")
            for year in years}


def test_every_part_is_indexed_when_parts_run_at_once(make_site: MakeSite,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    monkeypatch.setattr(search, "CONCURRENT_PAGES", 2)
    site = make_site(dated_articles(range(2020, 2025)))
    pipeline.build(site)
    bundles = sorted(p.name for p in (site / "public/pagefind").iterdir())
    assert bundles == ["2020", "2021", "2022", "2023", "2024"]
    for bundle in bundles:
        entry = json.loads((site / "public/pagefind" / bundle / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == 1


def test_a_failing_part_stops_the_build_and_keeps_the_published_site(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    site = make_site(dated_articles(range(2020, 2024)))
    pipeline.build(site)
    published = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    real = search.get_executable()
    fake = tmp_path / "pagefind"
    fake.write_text(f"#!/bin/sh\ncase \"$*\" in *2022*) echo 'no room left' >&2; exit 3;; esac\n"
                    f"exec {real} \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(search, "get_executable", lambda: fake)
    (site / "content/articles/2022/a2022.md").write_text(article("Changed", "2022-05-01"))
    (site / "content/articles/2023/a2023.md").write_text(article("Changed too", "2023-05-01"))
    with pytest.raises(search.SearchIndexError, match=r"part 2022.*no room left"):
        pipeline.build(site)
    assert {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()} == published
    assert not list(site.glob(".public*")) and not list(site.parent.glob(".public*"))
