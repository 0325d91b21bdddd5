"""Staging in the spare site: the site a build replaced, brought up to date by the next
build, must end exactly as a fresh staging folder would, and never touch the published
files it shares inodes with."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from builder import cache, publish
from builder.render import Output

SITE_A = {"index.html": b"home A", "articles/x/index.html": b"x", "articles/y/index.html": b"y",
          "old/z/index.html": b"z", "style.css": b"css"}
SITE_B = {**SITE_A, "index.html": b"home B"}


def outputs(files: dict[str, bytes], published: dict[str, bytes] | None = None,
            ) -> list[Output]:
    """Each file as an Output keyed by its bytes; left without data (kept) where the
    published site has the same bytes, as a build with page keys does. style.css has
    no key, as assets have none."""
    return [Output(path, None if published and published.get(path) == data else data,
                   None if path == "style.css" else data.decode())
            for path, data in files.items()]


def publish_site(out: Path, files: dict[str, bytes], published: dict[str, bytes] | None = None,
                 spare: cache.Spare | None = None, kept: tuple[str, ...] = ()) -> publish.Staged:
    staged = publish.stage(outputs(files, published), out, spare=spare, kept=kept)
    publish.swap(staged.path, out)
    return staged


def spare_of(staged: publish.Staged, out: Path) -> cache.Spare:
    """The record of a published site once the next build has replaced it."""
    return cache.Spare(cache.marker_identity(publish.staging_dir(out) / publish.MARKER),
                       frozenset(staged.paths))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != publish.MARKER}


def folders(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()}


@pytest.fixture
def two_builds(tmp_path: Path) -> tuple[Path, cache.Spare]:
    """Site A published, then B: the staging folder holds A, the spare."""
    out = tmp_path / "public"
    first = publish_site(out, SITE_A)
    publish_site(out, SITE_B, SITE_A)
    return out, spare_of(first, out)


def test_the_spare_becomes_exactly_the_new_site(two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds
    spare_root = publish.staging_dir(out)
    spare_inode = spare_root.stat().st_ino
    site_c = {"index.html": b"home C", "articles/x/index.html": b"x",
              "articles/w/index.html": b"w", "style.css": b"css 2", "old": b"a file now"}
    published = tree(out)
    publish_site(out, site_c, SITE_B, spare)
    assert out.stat().st_ino == spare_inode  # staged in the spare, not in a fresh folder
    assert tree(out) == site_c
    assert folders(out) == {"articles", "articles/x", "articles/w"}  # emptied folders pruned
    assert tree(publish.staging_dir(out)) == published  # B, now the spare, untouched


def test_a_page_shared_with_the_published_site_is_replaced_not_written_into(
        two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds
    shared = publish.staging_dir(out) / "articles/x/index.html"
    assert shared.samefile(out / "articles/x/index.html")
    staged = publish.stage(outputs({**SITE_B, "articles/x/index.html": b"x changed"}, SITE_B),
                           out, spare=spare)
    assert (out / "articles/x/index.html").read_bytes() == b"x"
    assert (staged.path / "articles/x/index.html").read_bytes() == b"x changed"
    assert staged.written == 1


def test_a_page_reverted_to_its_spare_text_is_reported_changed(
        two_builds: tuple[Path, cache.Spare]) -> None:
    """The spare holds "home A", the published site "home B": going back to A is a
    change to the published site, whatever the spare holds."""
    out, spare = two_builds
    told: dict[str, bool] = {}
    staged = publish.stage(outputs(SITE_A, SITE_B), out, watch=lambda data: data,
                           each=told.__setitem__, spare=spare)
    assert told["index.html"] and not told["articles/x/index.html"]
    assert staged.written == 1
    assert (staged.path / "index.html").read_bytes() == b"home A"


def test_stray_entries_of_the_spare_go_but_the_kept_folders(
        two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds
    spare_root = publish.staging_dir(out)
    (spare_root / ".search-parts").mkdir()
    (spare_root / "stray.txt").write_text("left by a build cut short")
    (spare_root / "pagefind/2024").mkdir(parents=True)
    staged = publish.stage(outputs(SITE_B, SITE_B), out, spare=spare, kept=["pagefind"])
    assert sorted(p.name for p in staged.path.iterdir()) == sorted(
        [publish.MARKER, "articles", "index.html", "old", "pagefind", "style.css"])


def test_a_spare_left_half_updated_is_not_used_again(
        two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds

    def cut_short(path: str, changed: bool) -> None:
        if path == "articles/y/index.html":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish.stage(outputs({**SITE_B, "index.html": b"home D"}, SITE_B), out,
                      each=cut_short, spare=spare)
    staging = publish.staging_dir(out)
    inode = staging.stat().st_ino
    publish_site(out, SITE_B, SITE_B, spare)
    assert tree(out) == SITE_B
    assert out.stat().st_ino != inode  # a fresh folder: the half-updated one was set aside


def test_a_record_of_another_tree_is_not_trusted(two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds
    marker = publish.staging_dir(out) / publish.MARKER
    marker.unlink()
    marker.write_bytes(b"")  # another build's marker: a new file
    (publish.staging_dir(out) / "index.html").unlink()
    publish_site(out, SITE_B, SITE_B, spare)
    assert tree(out) == SITE_B


def test_a_page_folder_that_became_a_file_and_back(tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = publish_site(out, {"a/index.html": b"page", "b": b"file"})
    second = publish_site(out, {"a": b"file now", "b/index.html": b"page now"})
    publish_site(out, {"a/index.html": b"page", "b": b"file"}, None, spare_of(first, out))
    assert tree(out) == {"a/index.html": b"page", "b": b"file"}
    publish_site(out, {"a": b"file now", "b/index.html": b"page now"}, None,
                 spare_of(second, out))
    assert tree(out) == {"a": b"file now", "b/index.html": b"page now"}


@pytest.mark.parametrize("first", [0, 1])
def test_two_outputs_as_file_and_folder_are_refused(tmp_path: Path, first: int) -> None:
    both = [Output("a", b"file"), Output("a/index.html", b"page")]
    with pytest.raises(publish.PublishError, match="one as a file"):
        publish.stage(both[first:] + both[:first], tmp_path / "public")


def test_the_cache_keeps_the_replaced_site_as_a_difference(tmp_path: Path) -> None:
    site, out = tmp_path / "site", tmp_path / "public"
    site.mkdir()
    first = publish_site(out, SITE_A)
    cache.remember_page_keys(site, out, out / publish.MARKER, first.keys, first.paths,
                             first.fresh)
    assert cache.published_pages(site, out, out / publish.MARKER).spare is None
    second = publish_site(out, {**SITE_B, "new/index.html": b"n"}, SITE_A)
    cache.remember_page_keys(site, out, out / publish.MARKER, second.keys, second.paths,
                             second.fresh)
    pages = cache.published_pages(site, out, out / publish.MARKER)
    assert pages.spare == dataclasses.replace(spare_of(first, out), fresh=frozenset(second.fresh))
    assert pages.keys == second.keys
    records = cache.read_record(site / cache.CACHE_DIR / "pages.pickle")
    assert isinstance(records, dict)
    spare = records[str(out.resolve())]["spare"]
    assert "articles/x/index.html" not in spare["gone"] + spare["lacks"] + spare["unkeyed"]


def test_staging_in_a_fresh_folder_sets_an_old_one_aside(tmp_path: Path) -> None:
    out = tmp_path / "public"
    publish_site(out, SITE_A)
    publish_site(out, SITE_B, SITE_A)  # A is left at the staging path
    assert os.path.exists(publish.staging_dir(out) / "old/z/index.html")
    publish_site(out, SITE_A, SITE_B)  # no record given: a fresh folder
    assert tree(out) == SITE_A


def test_a_file_that_became_a_folder_keeps_the_folder(
        two_builds: tuple[Path, cache.Spare]) -> None:
    """The spare has the file `style.css`; this build puts `style.css/main.css`."""
    out, spare = two_builds
    site_c = {**SITE_B, "style.css/main.css": b"css"}
    del site_c["style.css"]
    publish_site(out, site_c, SITE_B, spare)
    assert tree(out) == site_c


def test_a_page_deleted_by_hand_from_the_published_site_is_missed(
        two_builds: tuple[Path, cache.Spare]) -> None:
    """Not taken from the spare, unknown to the record: the pipeline then renders every
    page again."""
    out, spare = two_builds
    (out / "articles/x/index.html").unlink()
    with pytest.raises(publish.KeptFileMissing):
        publish.stage(outputs(SITE_B, SITE_B), out, spare=spare)


def recorded_builds(tmp_path: Path) -> tuple[Path, cache.Spare]:
    """As `two_builds`, with the record of what the second build wrote anew."""
    out = tmp_path / "public"
    first = publish_site(out, SITE_A)
    second = publish_site(out, SITE_B, SITE_A)
    assert second.fresh == ["index.html"]
    return out, dataclasses.replace(spare_of(first, out), fresh=frozenset(second.fresh))


def test_with_its_record_a_spare_is_brought_up_to_date_without_a_look_at_kept_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, spare = recorded_builds(tmp_path)
    looked: list[str] = []
    monkeypatch.setattr(publish, "_same_file", lambda a, b: looked.append(str(a)))
    staged = publish.stage(outputs(SITE_B, SITE_B), out, spare=spare)
    assert looked == []
    for path in SITE_B:  # home B, written anew, is linked from the published site
        assert (staged.path / path).samefile(out / path)
    publish.swap(staged.path, out)
    assert tree(out) == SITE_B


def test_with_its_record_a_page_deleted_by_hand_is_taken_from_the_spare(
        tmp_path: Path) -> None:
    """The spare's file is the one the last build published, its bytes unchanged."""
    out, spare = recorded_builds(tmp_path)
    (out / "articles/x/index.html").unlink()
    publish_site(out, SITE_B, SITE_B, spare)
    assert tree(out) == SITE_B


def test_a_page_replaced_by_hand_in_the_published_site_is_kept_as_published(
        two_builds: tuple[Path, cache.Spare]) -> None:
    out, spare = two_builds
    (out / "articles/y/index.html").unlink()
    (out / "articles/y/index.html").write_bytes(b"y, edited by hand")
    staged = publish.stage(outputs(SITE_B, SITE_B), out, spare=spare)
    assert (staged.path / "articles/y/index.html").read_bytes() == b"y, edited by hand"
