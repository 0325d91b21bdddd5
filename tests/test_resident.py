"""A process that keeps its last build (`warchive serve`, or `warchive build` through the
cache) publishes an edit that keeps each article where it was in the site from the model
it holds, and the site equals a cold build's; any other edit takes the full build."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from builder import cache, pipeline, publish, resident
from builder.progress import Progress

from .test_golden import output_files
from .test_incremental import ARTICLES, DRONES, EDITS, SUDZHA, _replace, _site

WARNED = f"{ARTICLES}/2025/03/draft-peace-talks.md"
PAGE = "articles/syrskyi-says-sudzha-taken/index.html"
LOSSES = f"{ARTICLES}/2025/02/losses-claim-update.md"
TROOPS = f"{ARTICLES}/2024/11/north-korean-troops-in-kursk.md"

REVISIONS = {
    "title of a neighbour and related article": EDITS["title of a neighbour and related article"],
    "summary": EDITS["summary"],
    "title of an article with a claim": _replace(LOSSES, "title: Kyiv puts", "title: Kyiv sets"),
    "source link, author and snapshot": _replace(
        SUDZHA, "  url: https://news.example.com/2024/08/15/sudzha",
        "  url: https://news.example.com/sudzha\n  author: A. Writer\n"
        "  archived_url: https://web.archive.org/web/20240816000000/https://news.example.com/x"),
    "content warning added": _replace(DRONES, "summary: ",
                                      "content_warning: Images of wounded.\nsummary: "),
    "curator's note": _replace(TROOPS, "twice, once rounded", "twice, rounded once"),
}
"""Edits that keep each article where it was in the site (`model.placement`)."""

PLACEMENTS = {
    **{name: edit for name, edit in EDITS.items()
       if name != "body" and name not in REVISIONS},
    "an update added": _replace(SUDZHA, "topics: [Kursk offensive]",
                                "topics: [Kursk offensive]\nupdates:\n  - date: 2024-08-20\n"
                                "    note: Added the town's population."),
    "a claimed figure": _replace(LOSSES, "value: 847860", "value: 847870"),
    "source outlet": _replace(SUDZHA, "  name: Example Wire", "  name: Other Wire"),
    "slug": _replace(SUDZHA, "topics: [Kursk offensive]",
                     "topics: [Kursk offensive]\nslug: sudzha-taken"),
    "made a draft": _replace(SUDZHA, "topics: [Kursk offensive]",
                             "topics: [Kursk offensive]\ndraft: true"),
    "a person removed": _replace(SUDZHA, "people: [Олександр Сирський, Zelenskyy]",
                                 "people: [Олександр Сирський]"),
    "a claim's line moved": _replace(TROOPS, "curator_note: >-", "curator_note: >-\n  Revised."),
    "the same moment in another offset": _replace(f"{ARTICLES}/2024/11/kyiv-air-defence-night.md",
                                                  "date: 2024-11-17T09:15:00+02:00",
                                                  "date: 2024-11-17T07:15:00+00:00"),
    "a claimed figure written as a decimal": _replace(LOSSES, "value: 847860", "value: 847860.0"),
}
"""Edits that move an article in the site, or add or remove one: a full build."""


def _cold(site: Path, dest: Path, monkeypatch: pytest.MonkeyPatch,
          index: bool = False) -> dict[str, bytes]:
    """The files of a cold single-process build of `site`; with `index`, those outside
    the search index, whose Pagefind files list filters in no set order."""
    cold_site = dest / "site"
    leave_out = shutil.ignore_patterns(cache.CACHE_DIR, "public", ".public*")
    shutil.copytree(site, cold_site, ignore=leave_out)
    with monkeypatch.context() as patch:
        patch.setenv("WARCHIVE_WORKERS", "1")
        pipeline.build(cold_site, out=dest / "out", index=index)
    return _pages(dest / "out")


def _pages(out: Path) -> dict[str, bytes]:
    return {path: data for path, data in output_files(out).items()
            if not path.startswith("pagefind/")}


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
    assert after[PAGE].count(b"One more sentence.") == 2
    assert {path for path in after if after[path] != before.get(path)} == {PAGE}
    assert after == _cold(site, tmp_path / "cold", monkeypatch)


@pytest.mark.parametrize("edit", REVISIONS)
def test_an_edit_keeping_each_article_in_place_is_published_from_the_model(
        edit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    pipeline.build(site, index=False, memory=memory)
    before = output_files(site / "public")
    REVISIONS[edit](site)
    assert pipeline.build(site, index=False, memory=memory).written > 0
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 1
    after = output_files(site / "public")
    assert after == _cold(site, tmp_path / "cold", monkeypatch)
    assert after != before


@pytest.mark.parametrize("edit", PLACEMENTS)
def test_an_edit_moving_an_article_takes_the_full_build(edit: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        loads: list[int]) -> None:
    site, memory = _site(tmp_path), resident.Memory()
    pipeline.build(site, index=False, memory=memory)
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    PLACEMENTS[edit](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 2
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def test_a_revision_that_fails_to_publish_leaves_the_model_as_the_site_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    """As when `serve` calls off a build's indexing for a newer save: the entries are
    given back their published versions, and the next edit is quick again."""
    site, memory = _site(tmp_path), resident.Memory()
    pipeline.build(site, index=False, memory=memory)
    REVISIONS["summary"](site)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_stage_index_swap", _cancelled)
        with pytest.raises(KeyboardInterrupt):
            pipeline.build(site, index=False, memory=memory)
    assert memory.model is not None
    assert all(b"Revised." not in e.article.summary.encode() for e in memory.model.site.entries)
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=memory)
    assert len(loads) == 1
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def _cancelled(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


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


def _kept(site: Path) -> resident.Memory:
    """What `warchive build` reads in each new process; written at once, for the test."""
    return resident.Memory.kept_in(site, background=False)


def test_the_command_publishes_body_edits_from_the_model_kept_in_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    site = _site(tmp_path)
    out = site / "public"
    pipeline.build(site, index=False, memory=_kept(site))
    shown = io.StringIO()
    for _ in range(2):
        EDITS["body"](site)
        assert pipeline.build(site, index=False, memory=_kept(site),
                              progress=Progress(shown, enabled=True)).written == 1
    assert len(loads) == 1
    assert "waiting" not in shown.getvalue()  # no writer was at work
    assert output_files(out) == _cold(site, tmp_path / "cold", monkeypatch)


def test_the_command_publishes_revisions_from_the_model_kept_in_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    """Each process reads the model as the full build left it, and the revisions made
    since (`Last.revised`): the second title edit is seen against the first."""
    site = _site(tmp_path)
    pipeline.build(site, index=False, memory=_kept(site))
    retitle = [REVISIONS["title of a neighbour and related article"],
               _replace(SUDZHA, "title: Army chief says", "title: Army chief Syrskyi says")]
    for edit in (retitle[0], EDITS["body"], REVISIONS["summary"], retitle[1]):
        edit(site)
        assert pipeline.build(site, index=False, memory=_kept(site)).written > 0
    assert len(loads) == 1
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


@pytest.mark.parametrize("edit", ["a claimed figure", "article added", "template"])
def test_the_kept_model_serves_no_other_edit(edit: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             loads: list[int]) -> None:
    site = _site(tmp_path)
    pipeline.build(site, index=False, memory=_kept(site))
    REVISIONS["summary"](site)
    pipeline.build(site, index=False, memory=_kept(site))
    PLACEMENTS[edit](site)
    pipeline.build(site, index=False, memory=_kept(site))
    assert len(loads) == 2
    EDITS["body"](site)  # from the model the full build kept
    pipeline.build(site, index=False, memory=_kept(site))
    assert len(loads) == 2
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def _spoil(site: Path, name: str, how: str) -> None:
    path = site / cache.CACHE_DIR / name
    if how == "damaged":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "another version":
        cache.write_pickle(path, ("an older builder", cache.read_record(path)))
    else:  # the model of another full build, which the record does not name
        stored = cache.read_record(path)
        assert isinstance(stored, tuple)
        cache.write_record(path, ("1:2", stored[1]))


@pytest.mark.parametrize(("name", "how"), [
    ("last.pickle", "damaged"), ("model.pickle", "damaged"),
    ("last.pickle", "another version"), ("model.pickle", "another build")])
def test_a_kept_memory_that_cannot_be_trusted_takes_the_full_build(
        name: str, how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        loads: list[int]) -> None:
    site = _site(tmp_path)
    pipeline.build(site, index=False, memory=_kept(site))
    _spoil(site, name, how)
    EDITS["body"](site)
    assert pipeline.build(site, index=False, memory=_kept(site)).written == 1
    assert len(loads) == 2
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def test_a_kept_memory_outliving_the_cache_is_not_used(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       loads: list[int]) -> None:
    """The model's writer, still at work when the editor deletes .warchive-cache to force a
    full build: what it writes then is not trusted, as the build's own records are gone."""
    site = _site(tmp_path)
    pipeline.build(site, index=False, memory=_kept(site))
    folder = site / cache.CACHE_DIR
    late = {name: (folder / name).read_bytes() for name in ("last.pickle", "model.pickle")}
    home = site / "public/index.html"
    home.write_bytes(home.read_bytes().replace(b"</main>", b"HAND-EDITED</main>"))
    shutil.rmtree(folder)
    folder.mkdir()
    for name, data in late.items():
        (folder / name).write_bytes(data)
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=_kept(site))
    assert len(loads) == 2
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def test_the_writer_makes_no_deleted_cache_again(tmp_path: Path) -> None:
    site = _site(tmp_path)
    memory = _kept(site)
    pipeline.build(site, index=False, memory=memory)
    assert memory.last is not None and memory.model is not None
    shutil.rmtree(site / cache.CACHE_DIR)
    resident._write_model(site / cache.CACHE_DIR, memory.last.model, memory.model)
    assert not (site / cache.CACHE_DIR).exists()


WRITER = """
import os, sys, time
from pathlib import Path
from builder import resident

os.dup(1)  # another handle on the pipe, as a test runner that captures output keeps

class Slow:
    def __reduce__(self):
        for _ in range(6000):  # a minute at most
            if Path(sys.argv[2]).exists():
                break
            time.sleep(0.01)
        return dict, ()

resident._write_in_background(Path(sys.argv[1]), "m", Slow())
print("built", flush=True)
"""


def test_a_pipe_reading_the_build_ends_with_the_build(tmp_path: Path) -> None:
    """`warchive build | tee log`: the writer left behind holds no end of the pipe."""
    go = tmp_path / "go"
    folder = tmp_path / "cache"
    folder.mkdir()
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(go)],
                               stdout=subprocess.PIPE)
    timer = threading.Timer(30, go.touch)  # should the pipe wait for the writer, it ends
    timer.start()
    try:
        assert process.stdout is not None
        assert process.stdout.read() == b"built\n"  # to the end: every writer has let go
        assert not go.exists()
    finally:
        timer.cancel()
        go.touch()
        process.wait(timeout=60)
    for _ in range(200):
        if (folder / "model.pickle").exists():
            break
        time.sleep(0.05)
    assert cache.read_record(folder / "model.pickle") == ("m", {})
    assert list(folder.iterdir()) == [folder / "model.pickle"]  # the lock file is gone


def test_a_kept_memory_of_another_output_folder_is_not_used(tmp_path: Path,
                                                          loads: list[int]) -> None:
    site = _site(tmp_path)
    pipeline.build(site, index=False, memory=_kept(site))
    pipeline.build(site, tmp_path / "elsewhere", index=False, memory=_kept(site))
    EDITS["body"](site)
    pipeline.build(site, index=False, memory=_kept(site))
    assert len(loads) == 3


def test_a_build_waits_for_the_model_still_being_written(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         loads: list[int]) -> None:
    """The build's process goes on while a process left behind pickles the model; a build
    that starts meanwhile waits for it, which is quicker than building in full."""
    site = _site(tmp_path)
    go = tmp_path / "go"
    write = resident._write_model

    def held_up(folder: Path, model_id: str, model: resident.Model) -> None:
        for _ in range(6000):  # a minute at most
            if go.exists():
                break
            time.sleep(0.01)
        write(folder, model_id, model)

    monkeypatch.setattr(resident, "_write_model", held_up)  # the writer forks with it
    built: list[pipeline.BuildResult] = []
    shown = io.StringIO()
    waiting = threading.Thread(target=lambda: built.append(pipeline.build(
        site, index=False, memory=_kept(site), progress=Progress(shown, enabled=True))))
    timer = threading.Timer(30, go.touch)  # should the build wait for its writer, it ends
    timer.start()
    try:
        pipeline.build(site, index=False, memory=resident.Memory.kept_in(site))
        assert not go.exists() and not (site / cache.CACHE_DIR / "model.pickle").exists()
        EDITS["body"](site)
        waiting.start()
        waiting.join(0.5)
    finally:
        timer.cancel()
        go.touch()
    waiting.join(60)
    assert built[0].written == 1 and len(loads) == 1  # from the model, once written
    assert "waiting for the last build's model to be written" in shown.getvalue()
    assert "publishing the edit to 1 article" in shown.getvalue()
    assert output_files(site / "public") == _cold(site, tmp_path / "cold", monkeypatch)


def test_a_writer_ending_while_the_build_reads_is_not_missed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    """The build reads the model file as the last writer left it, and the writer of the
    model it wants puts its own in place and ends meanwhile (reading takes 0.2 s at 10k):
    the build asks for the writer first, so it reads the model wanted."""
    site = _site(tmp_path)
    write, read = resident._write_model, resident._read_model

    def slow_write(folder: Path, model_id: str, model: resident.Model) -> None:
        time.sleep(1)
        write(folder, model_id, model)

    def read_while_the_writer_ends(folder: Path, model_id: str) -> resident.Model | None:
        found = read(folder, model_id)
        for _ in range(600):  # the writer's lock file gone: it has ended
            if not list(folder.glob("*.writing")):
                break
            time.sleep(0.01)
        return found

    monkeypatch.setattr(resident, "_write_model", slow_write)  # the writer forks with it
    pipeline.build(site, index=False, memory=resident.Memory.kept_in(site))
    monkeypatch.setattr(resident, "_read_model", read_while_the_writer_ends)
    EDITS["body"](site)
    assert pipeline.build(site, index=False, memory=_kept(site)).written == 1
    assert len(loads) == 1


@pytest.mark.slow
def test_the_command_keeps_its_model_for_the_next_run(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    (site / WARNED).unlink()

    def command() -> None:
        done = subprocess.run([sys.executable, "-m", "builder", "build", str(site), "--quiet"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    command()
    kept = resident.Memory.kept_in(site)  # its model written by the process left behind
    assert kept.recall() is not None and kept.recall_model() is not None
    EDITS["body"](site)
    command()
    pages = _pages(site / "public")
    assert pages[PAGE].count(b"One more sentence.") == 1
    assert pages == _cold(site, tmp_path / "cold", monkeypatch, index=True)


def test_where_no_writer_process_can_be_started_the_build_writes_the_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[int]) -> None:
    """A process limit reached (fork fails with EAGAIN): the model is written at once,
    and no lock file is left for later builds to find."""
    site = _site(tmp_path)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(resident.os, "fork", no_fork)
        pipeline.build(site, index=False, memory=resident.Memory.kept_in(site))
    folder = site / cache.CACHE_DIR
    assert (folder / "model.pickle").exists() and not list(folder.glob("*.writing"))
    EDITS["body"](site)
    assert pipeline.build(site, index=False, memory=_kept(site)).written == 1
    assert len(loads) == 1
