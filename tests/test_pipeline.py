"""End to end through `pipeline.build` on tiny inline sites."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder import pipeline, publish
from builder.problems import ContentError

from .conftest import MakeSite, article


def test_build_writes_article_term_and_archive_pages(make_site: MakeSite) -> None:
    site = make_site({"content/articles/2025/02/first.md": article("First one")})
    result = pipeline.build(site, index=False)
    public = site / "public"
    assert result.articles == 1
    page = (public / "articles/first/index.html").read_text()
    assert ">First one</h1>" in page
    assert 'href="/people/volodymyr-zelensky/"' in page
    assert (public / "people/volodymyr-zelensky/index.html").exists()
    assert (public / "places/kursk-oblast/feed.xml").exists()
    assert "First one" in (public / "archive/2025/02/index.html").read_text()


def test_drafts_are_built_only_on_request(make_site: MakeSite) -> None:
    site = make_site({"content/articles/d.md": article("Draft", draft="true")})
    pipeline.build(site, index=False)
    assert not (site / "public/articles/d").exists()
    pipeline.build(site, drafts=True, index=False)
    assert (site / "public/articles/d/index.html").exists()


def test_failed_build_leaves_published_site_untouched(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("Good")})
    pipeline.build(site, index=False)
    before = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    (site / "content/articles/b.md").write_text(article("Bad", people="[Nobody Known]"))
    with pytest.raises(ContentError):
        pipeline.build(site, index=False)
    after = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    assert before == after
    assert not list(site.glob(".public*"))


def test_output_folder_not_made_by_warchive_is_refused(make_site: MakeSite,
                                                       tmp_path: Path) -> None:
    site = make_site({"content/articles/a.md": article()})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    from builder.publish import PublishError

    with pytest.raises(PublishError):
        pipeline.build(site, out=precious, index=False)
    assert (precious / "keep.txt").read_text() == "mine"


def test_progress_shows_stages_on_a_terminal_and_nothing_elsewhere(
        make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from builder import search
    from builder.progress import Progress

    from .test_search_index import slow_pagefind

    site = make_site({"content/articles/a.md": article()})
    slow = slow_pagefind(tmp_path, "1")  # still indexing once every page is staged
    monkeypatch.setattr(search, "get_executable", lambda: slow)
    shown = io.StringIO()
    pipeline.build(site, progress=Progress(shown, enabled=True))
    assert "reading and checking content" in shown.getvalue()
    assert "rendering" in shown.getvalue()
    assert "indexing search part 2025 (1/1), 1 article" in shown.getvalue()
    quiet = io.StringIO()
    pipeline.build(site, index=False, progress=Progress(quiet))  # StringIO is not a terminal
    assert quiet.getvalue() == ""


def test_markdown_links_follow_a_sub_path(make_site: MakeSite) -> None:
    site = make_site({
        "content/articles/a.md": article(body="See [the President](/people/volodymyr-zelensky/)."),
        "content/about.md": "Browse [by date](/archive/).\n",
        "content/topics.yaml": "- name: casualties\n  description: See [claims](/claims/).\n",
    }, site_yaml="title: T\nbase_url: https://example.org/war/\n")
    pipeline.build(site, index=False)
    public = site / "public"
    page = (public / "articles/a/index.html").read_text()
    assert 'href="/war/people/volodymyr-zelensky/"' in page
    assert 'href="/war/archive/"' in (public / "about/index.html").read_text()
    assert 'href="/war/claims/"' in (public / "topics/casualties/index.html").read_text()


def test_hidden_entries_of_the_published_folder_survive_a_rebuild(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("First")})
    pipeline.build(site, index=False)
    public = site / "public"
    (public / ".git").mkdir()
    (public / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (public / "stray.html").write_text("made by hand")
    (site / "content/articles/a.md").write_text(article("Second"))
    pipeline.build(site, index=False)
    assert (public / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"
    assert not (public / "stray.html").exists()
    assert ">Second</h1>" in (public / "articles/a/index.html").read_text()


def published_with_git(make_site: MakeSite) -> tuple[Path, Path]:
    """A site published once, whose output folder holds a deploy branch's .git, and a
    second article added since."""
    site = make_site({"content/articles/a.md": article("Good")})
    pipeline.build(site, index=False)
    git = site / "public/.git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (site / "content/articles/b.md").write_text(article("Second"))
    return site, git


def test_an_interrupted_swap_keeps_hidden_entries(make_site: MakeSite,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    site, git = published_with_git(make_site)

    def interrupted(a: Path, b: Path) -> bool:  # Ctrl-C at the worst moment
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "_exchange", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build(site, index=False)
    assert (site / "public/articles/a/index.html").exists()  # old site still published
    assert not (site / "public/articles/b").exists()
    assert (git / "HEAD").exists()


def test_a_failed_fallback_swap_keeps_the_site_and_its_hidden_entries(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """No renameat2 (macOS, some filesystems): the fallback's rename failing."""
    site, git = published_with_git(make_site)
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src: Path, dst: Path) -> None:
        if str(dst).endswith(".public.old"):
            raise PermissionError(13, "Permission denied")
        real_rename(src, dst)

    monkeypatch.setattr(publish.os, "rename", rename)
    with pytest.raises(PermissionError):
        pipeline.build(site, index=False)
    assert (git / "HEAD").exists(), "the deploy branch's .git was deleted by discard()"


def test_the_replaced_site_is_kept_for_the_next_build_and_removals_left_before_go(
        make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("First")})
    pipeline.build(site, index=False)
    left = site / f".public.staging{publish.REMOVING}1-2"  # an earlier removal, cut short
    (left / "articles").mkdir(parents=True)
    (left / "articles/old.html").write_text("old")
    (site / "content/articles/a.md").write_text(article("Second"))
    pipeline.build(site, index=False)
    assert ">Second</h1>" in (site / "public/articles/a/index.html").read_text()
    assert ">First</h1>" in (site / ".public.staging/articles/a/index.html").read_text()
    for _ in range(200):  # the removal runs on after the build returned
        if not list(site.glob(f"*{publish.REMOVING}*")):
            break
        time.sleep(0.05)
    assert sorted(p.name for p in site.iterdir()) == [".public.staging", ".warchive-cache",
                                                      "content", "public", "templates"]


def test_removals_are_found_whatever_the_output_folder_is_called(
        make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/articles/a.md": article("First")})
    out = tmp_path / "site [preview]*"
    pipeline.build(site, out, index=False)
    (tmp_path / f".{out.name}.staging{publish.REMOVING}1-2").mkdir()
    (site / "content/articles/a.md").write_text(article("Second"))
    pipeline.build(site, out, index=False)
    for _ in range(200):
        if not list(tmp_path.glob(f".*{publish.REMOVING}*")):
            break
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [site.name, out.name, f".{out.name}.staging"])


SUBREAPER = """
import ctypes, os, sys, time
from pathlib import Path
from builder import publish
ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: as a container's PID 1
root = Path(sys.argv[1])
for number in range(4):
    (root / f"site{number}" / "articles").mkdir(parents=True)
    publish.remove_later(root / f"site{number}")
    while list(root.iterdir()):
        time.sleep(0.05)
time.sleep(0.2)
zombies = 0
for stat in Path("/proc").glob("[0-9]*/stat"):
    try:
        state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        continue
    zombies += state == "Z" and int(parent) == os.getpid()
print(zombies)
"""


def test_a_first_process_keeps_no_finished_removal_as_a_zombie(tmp_path: Path) -> None:
    """`warchive serve` removes a replaced site on every save. As a container's first
    process, it inherits every orphan, and nothing else waits for them: a removal that
    has finished is waited for by the next one."""
    done = subprocess.run([sys.executable, "-c", SUBREAPER, str(tmp_path)], check=True,
                          capture_output=True, text=True, timeout=60)
    assert int(done.stdout) <= 1  # the last removal, until the next one starts


def test_a_site_whose_cache_cannot_be_written_still_builds(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("First")})
    (site / ".warchive-cache").write_text("a file where the cache folder would go")
    pipeline.build(site, index=False)
    (site / "content/articles/a.md").write_text(article("Second"))
    pipeline.build(site, index=False)
    assert ">Second</h1>" in (site / "public/articles/a/index.html").read_text()


def test_no_listing_page_grows_with_the_archive(make_site: MakeSite) -> None:
    """A month's and an outlet's articles come in pages of `per_page`; a year's page
    counts its months' articles rather than listing them."""
    files = {f"content/articles/a{day}.md": article(f"Day {day}", f"2025-03-{day:02d}")
             for day in range(1, 6)}
    site = make_site(files, site_yaml="per_page: 2\n")
    pipeline.build(site, index=False)
    out = site / "public"
    for listing in ("archive/2025/03", "sources/test-wire"):
        pages = [(out / listing / "index.html").read_text(),
                 *((out / listing / f"page/{n}/index.html").read_text() for n in (2, 3))]
        assert not (out / listing / "page/4").exists()
        assert [page.count('<h3><a href="/articles/') for page in pages] == [2, 2, 1]
        assert "Day 5" in pages[0] and "Day 1" in pages[2]
        assert f'rel="next" href="/{listing}/page/2/"' in pages[0]
        assert "Page 3 of 3" in pages[2]
    year = (out / "archive/2025/index.html").read_text()
    assert "Day 5" not in year and 'href="/archive/2025/03/"' in year
