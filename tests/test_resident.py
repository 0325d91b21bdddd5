"""A process that keeps its last build (`warchive serve`) publishes a body edit from the
model it holds, and the site equals a cold build's; any other edit takes the full build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder import cache, pipeline, publish, resident

from .test_golden import output_files
from .test_incremental import ARTICLES, EDITS, SUDZHA, _site

WARNED = f"{ARTICLES}/2025/03/draft-peace-talks.md"


def _cold(site: Path, dest: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    cold_site = dest / "site"
    leave_out = shutil.ignore_patterns(cache.CACHE_DIR, "public", ".public*")
    shutil.copytree(site, cold_site, ignore=leave_out)
    with monkeypatch.context() as patch:
        patch.setenv("WARCHIVE_WORKERS", "1")
        pipeline.build(cold_site, out=dest / "out", index=False)
    return output_files(dest / "out")


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many builds loaded the site model (the full build)."""
    counted: list[int] = []
    real = pipeline.load

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load", counting)
    return counted


def test_body_edits_are_published_from_the_kept_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    out = site / "public"
    pipeline.build(site, index=False, memory=memory)
    before = output_files(out)
    for _ in range(2):
        EDITS["body"](site)
        result = pipeline.build(site, index=False, memory=memory)
        assert result.written == 1
    assert len(loads) == 1
    after = output_files(out)
    page = "articles/syrskyi-says-sudzha-taken/index.html"
    assert after[page].count(b"One more sentence.") == 2
    assert {path for path in after if after[path] != before.get(path)} == {page}
    assert after == _cold(site, tmp_path / "cold", monkeypatch)


@pytest.mark.parametrize("edit", [name for name in EDITS if name != "body"])
def test_any_other_edit_takes_the_full_build(edit: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    pipeline.build(site, index=False, memory=memory)
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    EDITS[edit](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 2
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def test_a_site_replaced_since_is_built_in_full(tmp_path: Path, loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    out = site / "public"
    pipeline.build(site, index=False, memory=memory)
    (out / publish.MARKER).unlink()
    (out / publish.MARKER).write_bytes(b"")  # another build's marker: a new file
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 2


def test_after_a_broken_edit_a_body_edit_is_quick_again(tmp_path: Path,
                                                         loads: list[int]) -> None:
    """A front matter made invalid takes the full build, which reports it and publishes
    nothing: the memory of the published site still holds."""
    site, memory = _site(tmp_path), resident.Memory()
    pipeline.build(site, index=False, memory=memory)
    text = (site / SUDZHA).read_text()
    (site / SUDZHA).write_text(text.replace("date: 2024-08-15", "date: 2024-02-31"))
    with pytest.raises(pipeline.ContentError):
        pipeline.build(site, index=False, memory=memory)
    (site / SUDZHA).write_text(text + "\nOne more sentence.\n")
    assert pipeline.build(site, index=False, memory=memory).written == 1
    assert len(loads) == 2


def test_a_kept_file_gone_from_the_site_is_built_in_full(tmp_path: Path,
                                                         loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    out = site / "public"
    pipeline.build(site, index=False, memory=memory)
    robots = (out / "robots.txt").read_bytes()
    (out / "robots.txt").unlink()  # by hand, or by a cleaner of old temporary files
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    assert (out / "robots.txt").read_bytes() == robots and len(loads) == 2
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 2


@pytest.mark.parametrize("memory", [resident.Memory(), None], ids=["kept", "none"])
def test_a_save_while_the_build_reads_is_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  memory: resident.Memory | None) -> None:
    """The editor saves again after the build read the file's digest and before it parsed
    the text: what the build records is the text it parsed, so undoing that second save
    is seen as an edit (by the kept model, and by the record of the published build)."""
    site = _site(tmp_path)
    (site / WARNED).unlink()  # the record is only kept of a build without warnings
    assert not pipeline.build(site, index=False, memory=memory).warnings
    original = (site / SUDZHA).read_text()
    (site / SUDZHA).write_text(original + "\nFirst save.\n")
    parse = pipeline._parse

    def saved_again_meanwhile(site_dir: Path, path: str):  # type: ignore[no-untyped-def]
        if path == SUDZHA:
            (site / SUDZHA).write_text(original + "\nSecond save.\n")
        return parse(site_dir, path)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_parse", saved_again_meanwhile)
        pipeline.build(site, index=False, memory=memory)
    (site / SUDZHA).write_text(original + "\nFirst save.\n")
    pipeline.build(site, index=False, memory=memory)
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)
