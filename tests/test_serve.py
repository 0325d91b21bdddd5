"""`warchive serve`: a real server on a free port, real edits on disk, seen within 2 s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from builder.serve import SCRIPT_PATH, STATUS_PATH, Preview, rebuild

from .conftest import MakeSite, article

ARTICLE = "content/articles/2025/02/live.md"


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def preview(make_site: MakeSite) -> Iterator[tuple[Preview, Path]]:
    site = make_site({ARTICLE: article("First words", body="The opening text.")})
    running = Preview(site, 0)
    running.start()
    stop = threading.Event()
    watcher = threading.Thread(target=running.watch, args=(stop,))
    watcher.start()
    time.sleep(0.3)  # let the watcher subscribe before the test edits files
    yield running, site
    stop.set()
    watcher.join(timeout=5)
    running.close()
    assert not watcher.is_alive()


def test_serves_the_site_with_the_reload_script(preview: tuple[Preview, Path]) -> None:
    running, _ = preview
    page = fetch(running.url + "articles/live/")
    assert "First words" in page and f'<script src="{SCRIPT_PATH}">' in page
    assert "location.reload" in fetch(running.url + SCRIPT_PATH.lstrip("/"))


def test_an_edit_shows_within_two_seconds(preview: tuple[Preview, Path]) -> None:
    running, site = preview
    (site / ARTICLE).write_text(article("First words", body="A freshly edited sentence."))
    assert within(2, lambda: "freshly edited" in fetch(running.url + "articles/live/"))


def test_the_search_index_follows_the_pages(preview: tuple[Preview, Path]) -> None:
    running, site = preview
    status = running.url + STATUS_PATH.lstrip("/")
    indexed = json.loads(fetch(status))["search"]
    (site / ARTICLE).write_text(article("First words", body="A sentence about pontoons."))
    assert within(2, lambda: "pontoons" in fetch(running.url + "articles/live/"))
    assert within(10, lambda: json.loads(fetch(status))["search"] > indexed)
    entry = json.loads(fetch(running.url + "pagefind/2025/pagefind-entry.json"))
    assert entry["languages"]["en"]["page_count"] == 1
    assert 'getElementById("search-query")' in fetch(running.url + SCRIPT_PATH.lstrip("/"))


def test_a_broken_edit_keeps_the_site_and_reports_then_recovers(
        preview: tuple[Preview, Path]) -> None:
    running, site = preview
    status = running.url + STATUS_PATH.lstrip("/")
    version = running.state.version
    (site / ARTICLE).write_text("---\ntitle: [unclosed\n---\n")
    assert within(2, lambda: "live.md:3: invalid YAML" in fetch(status))
    assert "First words" in fetch(running.url + "articles/live/")
    (site / ARTICLE).write_text(article("Fixed title"))
    assert within(2, lambda: '"problems": ""' in fetch(status))
    assert running.state.version > version
    assert "Fixed title" in fetch(running.url + "articles/live/")


def test_public_builds_carry_no_reload_script(make_site: MakeSite) -> None:
    from builder import pipeline

    site = make_site({ARTICLE: article()})
    pipeline.build(site, index=False)
    assert SCRIPT_PATH not in (site / "public/articles/live/index.html").read_text()


def test_a_preview_started_on_broken_content_serves_its_problems_then_the_site(
        make_site: MakeSite) -> None:
    site = make_site({ARTICLE: "---\ntitle: [unclosed\n---\n"})
    running = Preview(site, 0)
    running.start()
    try:
        home = fetch(running.url)
        assert "no site was built" in home and f'<script src="{SCRIPT_PATH}">' in home
        assert "live.md:3: invalid YAML" in fetch(running.url + STATUS_PATH.lstrip("/"))
        (site / ARTICLE).write_text(article("Now fine"))
        assert rebuild(site, running.out, running.url, running.state, drafts=True)
        assert "Now fine" in fetch(running.url + "articles/live/")
    finally:
        running.close()


def test_cache_records_of_removed_output_folders_are_dropped(make_site: MakeSite,
                                                            tmp_path: Path) -> None:
    from builder import cache, pipeline

    site = make_site({ARTICLE: article()})
    pipeline.build(site, out=tmp_path / "one", index=False)
    (tmp_path / "one").rename(tmp_path / "gone")
    pipeline.build(site, out=tmp_path / "two", index=False)
    records = cache.read_record(site / cache.CACHE_DIR / "pages.pickle")
    assert isinstance(records, dict) and list(records) == [str((tmp_path / "two").resolve())]


def test_a_stopped_server_removes_its_folder(make_site: MakeSite, tmp_path: Path) -> None:
    """Ctrl-C, or SIGTERM from a process manager: the temporary site goes with it."""
    site = make_site({ARTICLE: article()})
    for stop in (signal.SIGINT, signal.SIGTERM):
        temporary = tmp_path / f"tmp-{stop.name}"
        temporary.mkdir()
        server = subprocess.Popen(
            [sys.executable, "-m", "builder", "serve", str(site), "--port", "0"],
            stdout=subprocess.PIPE, text=True, env=os.environ | {"TMPDIR": str(temporary)},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        assert server.stdout is not None
        assert "serving" in server.stdout.readline() + server.stdout.readline()
        assert list(temporary.iterdir())
        server.send_signal(stop)
        assert server.wait(timeout=30) == 0
        assert not list(temporary.iterdir()), stop.name


def test_a_preview_stopped_during_its_first_build_still_closes(make_site: MakeSite) -> None:
    """Ctrl-C before the server loop started: closing used to wait for that loop forever."""
    site = make_site({ARTICLE: article()})
    preview = Preview(site, 0)
    closing = threading.Thread(target=preview.close, daemon=True)
    closing.start()
    closing.join(10)
    assert not closing.is_alive()
    assert not preview.out.parent.exists()
