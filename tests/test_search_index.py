"""The search index stage: parts built by real Pagefind, a few at once; a failure anywhere
leaves the published site as it was."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import threading
import time
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
    monkeypatch.setattr(search, "pages_at_once", lambda available_mib: 2)
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")
    site = make_site(dated_articles(range(2020, 2025)))
    pipeline.build(site)
    bundles = sorted(p.name for p in (site / "public/pagefind").iterdir())
    assert bundles == ["2020", "2021", "2022", "2023", "2024"]
    for bundle in bundles:
        entry = json.loads((site / "public/pagefind" / bundle / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == 1


def logging_pagefind(tmp_path: Path, slow_part: str) -> tuple[Path, Path]:
    """The real Pagefind, logging when each part's run starts and ends; `slow_part`'s
    run sleeps 2 s first."""
    log = tmp_path / "runs.log"
    script = tmp_path / "pagefind"
    script.write_text(
        "#!/bin/sh\n"
        'previous=""; for arg in "$@"; do [ "$previous" = --output-path ] && out="$arg"; '
        'previous="$arg"; done\n'
        f'part=$(basename "$out"); echo "start $part" >> {log}\n'
        f'[ "$part" = {slow_part} ] && sleep 2\n'
        f'{search.get_executable()} "$@"; code=$?\n'
        f'echo "end $part" >> {log}; exit $code\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def test_a_queued_part_starts_when_any_run_ends(make_site: MakeSite, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts 2022 and 2021 run at once; 2020 waits for room, and takes the place of 2021
    without waiting for the slower 2022."""
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    monkeypatch.setattr(search, "pages_at_once", lambda available_mib: 2)
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")
    script, log = logging_pagefind(tmp_path, slow_part="2022")
    monkeypatch.setattr(search, "get_executable", lambda: script)
    pipeline.build(make_site(dated_articles(range(2020, 2023))))
    events = log.read_text().split("\n")
    assert events.index("start 2020") < events.index("end 2022")
    assert events.index("start 2020") > events.index("end 2021")


@pytest.mark.parametrize(("available_mib", "pages"), [
    (2048.0, 3657), (300.0, 535), (None, search.PAGES_AT_ONCE_UNKNOWN_MEMORY)])
def test_pages_indexed_at_once_fit_half_the_available_memory(available_mib: float | None,
                                                             pages: int) -> None:
    assert search.pages_at_once(available_mib) == pages


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


def bundle_files(site: Path, part: str) -> dict[str, bytes]:
    folder = site / "public/pagefind" / part
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_pages_can_be_published_before_their_part_is_indexed_again(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the dev server does: pages first, with the old bundle, then the index."""
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    site = make_site(dated_articles(range(2022, 2025)))
    pipeline.build(site)
    before = {part: bundle_files(site, part) for part in ("2022", "2023", "2024")}
    (site / "content/articles/2023/a2023.md").write_text(
        article("Report of 2023", "2023-05-01", "A sentence about pontoon bridges."))
    first = pipeline.build(site, plan=search.Plan(later=True))
    assert first.unindexed == {"2023"}
    assert "pontoon" in (site / "public/articles/a2023/index.html").read_text()
    assert {part: bundle_files(site, part) for part in before} == before
    second = pipeline.build(site, plan=search.Plan(stale=first.unindexed))
    assert second.unindexed == frozenset() and second.written == 0
    assert bundle_files(site, "2023") != before["2023"]
    assert bundle_files(site, "2022") == before["2022"]
    assert bundle_files(site, "2024") == before["2024"]
    assert pipeline.build(site).written == 0  # and now the site is up to date


def published_with_a_stale_part(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch,
                                ) -> tuple[Path, frozenset[str], dict[Path, bytes]]:
    """A site whose 2023 page was published before its part was indexed again (as the
    dev server does), the stale parts, and every published file."""
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    site = make_site(dated_articles(range(2022, 2024)))
    pipeline.build(site)
    (site / "content/articles/2023/a2023.md").write_text(article("Renamed", "2023-05-01"))
    first = pipeline.build(site, plan=search.Plan(later=True))
    published = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    return site, first.unindexed, published


def test_a_called_off_index_leaves_the_site_as_it_was(make_site: MakeSite,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site, unindexed, published = published_with_a_stale_part(make_site, monkeypatch)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(search.Cancelled):
        pipeline.build(site, plan=search.Plan(stale=unindexed, cancel=cancel))
    assert {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()} == published
    assert pipeline.build(site, plan=search.Plan(stale=unindexed)).unindexed == set()


def test_a_running_pagefind_is_stopped_when_the_build_is_called_off(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = make_site(dated_articles(range(2023, 2024)))
    pipeline.build(site)
    slow = tmp_path / "pagefind"
    slow.write_text("#!/bin/sh\nexec sleep 59.75\n")  # a Pagefind that never ends
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(search, "get_executable", lambda: slow)
    (site / "content/articles/2023/a2023.md").write_text(article("Renamed", "2023-05-01"))
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(search.Cancelled, match="part 2023"):
        pipeline.build(site, plan=search.Plan(cancel=cancel))
    assert time.monotonic() - started < 30
    assert subprocess.run(["pgrep", "-f", "sleep 59.75"], capture_output=True).returncode == 1
    assert "Report of 2023" in (site / "public/articles/a2023/index.html").read_text()


def test_a_part_is_indexed_while_later_pages_are_staged(make_site: MakeSite,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest part's Pagefind starts once its pages are in staging, before the older
    articles' pages are written."""
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    site = make_site(dated_articles(range(2021, 2024)))
    events: list[str] = []
    staged, start = search.Indexer.page_staged, search._Run.start

    def page_staged(self: search.Indexer, path: str, changed: bool) -> None:
        events.append(path)
        staged(self, path, changed)

    def started(staging: Path, part: search.Part, language: str) -> search._Run:
        events.append(f"pagefind {part.name}")
        return start(staging, part, language)

    monkeypatch.setattr(search.Indexer, "page_staged", page_staged)
    monkeypatch.setattr(search._Run, "start", started)
    pipeline.build(site)
    order = {event: number for number, event in enumerate(events)}
    assert order["articles/a2023/index.html"] < order["pagefind 2023"]
    assert order["pagefind 2023"] < order["articles/a2021/index.html"]
    assert order["pagefind 2021"] > order["articles/a2021/index.html"]  # never before
    assert not list(site.glob("public/.search-parts*"))
    for part in ("2021", "2022", "2023"):
        assert search.page_count(site / f"public/pagefind/{part}", "en") == 1


def test_a_build_called_off_while_it_stages_stops_there(make_site: MakeSite,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The next edit calls off a background index build after its part was indexed,
    while later pages are still staged: it must not publish."""
    site, unindexed, published = published_with_a_stale_part(make_site, monkeypatch)
    cancel = threading.Event()
    staged = search.Indexer.page_staged

    def page_staged(self: search.Indexer, path: str, changed: bool) -> None:
        staged(self, path, changed)
        if path == "sitemap.xml":  # long after the 2023 part's pages
            for run in self._running:
                run.process.wait()
            cancel.set()

    monkeypatch.setattr(search.Indexer, "page_staged", page_staged)
    with pytest.raises(search.Cancelled):
        pipeline.build(site, plan=search.Plan(stale=unindexed, cancel=cancel))
    assert {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()} == published


def slow_pagefind(tmp_path: Path, seconds: str) -> Path:
    """The real Pagefind, after a sleep."""
    real = search.get_executable()
    slow = tmp_path / "pagefind"
    slow.write_text(f"#!/bin/sh\nsleep {seconds}\nexec {real} \"$@\"\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    return slow


def test_an_interrupted_wait_for_pagefind_stops_it(make_site: MakeSite, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or serve's SIGTERM) while the build waits for a part: its Pagefind must not
    go on and write into a staging folder that is gone."""
    site = make_site(dated_articles(range(2023, 2024)))
    endless = tmp_path / "pagefind"
    endless.write_text("#!/bin/sh\nexec sleep 58.25\n")
    endless.chmod(endless.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(search, "get_executable", lambda: endless)

    def interrupted(self: search.Indexer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(search.Indexer, "_wait_for_a_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build(site)
    assert subprocess.run(["pgrep", "-f", "sleep 58.25"], capture_output=True).returncode == 1
    assert not (site / "public").exists()
    assert not list(site.glob(".public*"))


def test_bundles_staged_in_the_replaced_site_are_those_of_a_cold_build(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The third build stages in the first one's site (`publish.Spare`): its 2022 bundle
    is older than the published one, which the third build keeps, and its 2020 bundle is
    of a part now gone."""
    monkeypatch.setattr(model, "PART_LIMIT", 1)
    site = make_site(dated_articles(range(2020, 2024)))
    pipeline.build(site)
    articles = site / "content/articles"
    (articles / "2022/a2022.md").write_text(article("Report of 2022", "2022-05-01", "Ferries."))
    pipeline.build(site)
    first_site = (site / ".public.staging").stat().st_ino
    kept = bundle_files(site, "2022")
    (articles / "2023/a2023.md").write_text(article("Report of 2023", "2023-05-01", "Tugs."))
    (articles / "2020/a2020.md").unlink()
    pipeline.build(site)
    assert (site / "public").stat().st_ino == first_site
    assert bundle_files(site, "2022") == kept
    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("public", ".*"))
    pipeline.build(cold)
    assert sorted(p.name for p in (site / "public/pagefind").iterdir()) == [
        "2021", "2022", "2023"]
    for part in ("2021", "2022", "2023"):  # Pagefind lists the filters in its meta in any order
        assert _but_meta(bundle_files(site, part)) == _but_meta(bundle_files(cold, part))


def _but_meta(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items()
            if name != search.SIGN and not name.endswith(".pf_meta")}


def test_the_index_folder_goes_with_the_last_article(make_site: MakeSite) -> None:
    """Staged in the spare site, as a fresh build would be: no articles, no index."""
    site = make_site(dated_articles(range(2022, 2024)))
    pipeline.build(site)
    (site / "content/articles/2023/a2023.md").unlink()
    pipeline.build(site)
    (site / "content/articles/2022/a2022.md").unlink()
    pipeline.build(site)
    assert not (site / "public/pagefind").exists()
