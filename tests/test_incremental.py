"""A rebuild that renders only the pages whose keys changed equals a cold build, byte for
byte, after every kind of edit an editor makes; and it does skip the unchanged pages."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import cache, pipeline, publish, render

from .conftest import FIXTURE_SITE, TEMPLATES
from .test_golden import output_files

ARTICLES = "content/articles"
SUDZHA = f"{ARTICLES}/2024/08/syrskyi-says-sudzha-taken.md"
DRONES = f"{ARTICLES}/2025/01/drone-output-compared.md"


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(site: Path) -> None:
        text = (site / path).read_text()
        assert old in text, f"{old!r} not in {path}"
        (site / path).write_text(text.replace(old, new, 1))
    return edit


def _append(path: str, text: str) -> Callable[[Path], None]:
    def edit(site: Path) -> None:
        with (site / path).open("a") as handle:
            handle.write(text)
    return edit


def _new_article(site: Path) -> None:
    (site / ARTICLES / "2024/08/new-report.md").write_text(
        "---\ntitle: A new report from Sudzha\ndate: 2024-08-16\nsummary: Fresh lines.\n"
        "source:\n  name: Another Wire\n  url: https://another.example/sudzha\n"
        "people: [Syrskyi]\nplaces: [Sudzha]\ntopics: [Kursk offensive]\n---\nBody.\n")


def _delete(path: str) -> Callable[[Path], None]:
    return lambda site: (site / path).unlink()


EDITS: dict[str, Callable[[Path], None]] = {
    "body": _append(SUDZHA, "\nOne more sentence.\n"),
    "title of a neighbour and related article":
        _replace(SUDZHA, "title: Syrskyi says", "title: Army chief says"),
    "a person added": _replace(SUDZHA, "people: [Олександр Сирський, Zelenskyy]",
                               "people: [Олександр Сирський, Zelenskyy, Budanov]"),
    "a place removed": _replace(SUDZHA, "places: [Суджа, Kursk]", "places: [Суджа]"),
    "date moved across years": _replace(SUDZHA, "date: 2024-08-15", "date: 2025-03-20"),
    "summary": _replace(DRONES, "summary: ", "summary: Revised. "),
    "article added": _new_article,
    "article deleted": _delete(DRONES),
    "registry description": _replace("content/people.yaml", "President of Ukraine since 2019",
                                     "President of Ukraine"),
    "template": _replace("templates/base.html", "Every article links to its source.",
                         "Each article links to its source."),
}


def _site(dest: Path) -> Path:
    site = dest / "site"
    shutil.copytree(FIXTURE_SITE, site, ignore=shutil.ignore_patterns("public", ".public*"))
    shutil.copytree(TEMPLATES, site / "templates")
    return site


OTHER = f"{ARTICLES}/2024/11/kyiv-air-defence-night.md"


@pytest.mark.parametrize("edit", EDITS)
def test_an_incremental_build_equals_a_cold_one(edit: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """After the edit; after a later edit, staged in the site the edit replaced (the
    spare, `publish.stage`); and after the edit is undone, staged in the edited site."""
    site = _site(tmp_path / "a")
    out = tmp_path / "out"
    sources = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    pipeline.build(site, out=out, index=False)
    EDITS[edit](site)
    pipeline.build(site, out=out, index=False)
    _assert_as_cold(site, out, tmp_path / "cold-1", monkeypatch)
    _append(OTHER, "\nA later sentence.\n")(site)
    sources[site / OTHER] = (site / OTHER).read_bytes()
    pipeline.build(site, out=out, index=False)
    _assert_as_cold(site, out, tmp_path / "cold-2", monkeypatch)
    for path in {p for p in site.rglob("*") if p.is_file()} - set(sources):
        if cache.CACHE_DIR not in path.parts:
            path.unlink()
    for path, data in sources.items():
        path.write_bytes(data)
    pipeline.build(site, out=out, index=False)
    _assert_as_cold(site, out, tmp_path / "cold-3", monkeypatch)


def _assert_as_cold(site: Path, out: Path, cold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`out` holds what a cold build of `site`, in one process, makes."""
    cold_site = cold / "site"
    shutil.copytree(site, cold_site, ignore=shutil.ignore_patterns(cache.CACHE_DIR))
    with monkeypatch.context() as one_process:
        one_process.setenv("WARCHIVE_WORKERS", "1")
        pipeline.build(cold_site, out=cold / "out", index=False)
    assert output_files(out) == output_files(cold / "out")


def _count_rendered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counts: list[int] = []
    real = render.parallel.ordered_map

    def counting(function, items, chunk=64):  # type: ignore[no-untyped-def]
        counts.append(len(items))
        return real(function, items, chunk)

    monkeypatch.setattr(render.parallel, "ordered_map", counting)
    return counts


def test_an_edit_renders_only_the_pages_that_show_what_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A body is shown on its article's page alone; a title also on every page listing the
    article (its terms', the archive's, its neighbours'...); the rest of the site is kept."""
    site = _site(tmp_path)
    pipeline.build(site, index=False)
    total = sum(1 for _ in render.pages(pipeline.load(site).site))
    counts = _count_rendered(monkeypatch)
    EDITS["body"](site)
    pipeline.build(site, index=False)
    assert counts[-1] == 1, f"a body edit rendered {counts[-1]} pages"
    EDITS["title of a neighbour and related article"](site)
    pipeline.build(site, index=False)
    assert 10 < counts[-1] < total / 2, f"a title edit rendered {counts[-1]} of {total} pages"
    counts.clear()
    (site / cache.CACHE_DIR / "published.pickle").unlink()  # past the up-to-date short-cut
    pipeline.build(site, index=False)
    assert counts[-1] == 0


def test_keys_of_a_site_replaced_by_hand_are_not_trusted(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    out = site / "public"
    pipeline.build(site, index=False)
    (out / publish.MARKER).unlink()
    (out / publish.MARKER).write_bytes(b"")  # another build's marker: a new file
    counts = _count_rendered(monkeypatch)
    EDITS["body"](site)
    pipeline.build(site, index=False)
    assert counts and counts[-1] > 10


def test_a_kept_page_deleted_by_hand_is_rendered_again(tmp_path: Path) -> None:
    site = _site(tmp_path)
    pipeline.build(site, index=False)
    page = site / "public/people/volodymyr-zelensky/index.html"
    before = page.read_bytes()
    page.unlink()
    EDITS["body"](site)
    pipeline.build(site, index=False)
    assert page.read_bytes() == before
