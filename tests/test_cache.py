"""The parse cache and parallel parsing never change what is built."""

from __future__ import annotations

import pickle
import shutil
import sys
import zlib
from pathlib import Path

import pytest

from builder import cache, model, pipeline

from .conftest import MakeSite, article


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def many_articles(count: int) -> dict[str, str | bytes]:
    return {f"content/articles/2025/{1 + i % 12:02d}/a{i}.md":
            article(f"Article number {i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    f"Body of article {i}, with *emphasis* and a [link](https://a.org/{i}).")
            for i in range(count)}


def test_a_cached_build_is_byte_identical_to_a_cold_one(make_site: MakeSite,
                                                        tmp_path: Path) -> None:
    site = make_site(many_articles(30))
    pipeline.build(site, out=tmp_path / "cold", index=False, )
    assert list((site / cache.CACHE_DIR / "articles").glob("*.pickle"))
    pipeline.build(site, out=tmp_path / "warm", index=False)
    assert files(tmp_path / "cold") == files(tmp_path / "warm")


def test_an_edited_article_is_parsed_again(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("Before")})
    pipeline.build(site, index=False)
    (site / "content/articles/a.md").write_text(article("After"))
    pipeline.build(site, index=False)
    assert ">After</h1>" in (site / "public/articles/a/index.html").read_text()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_corrupted_cache_is_ignored(make_site: MakeSite, damage: bytes) -> None:
    site = make_site({"content/articles/a.md": article("Fine")})
    pipeline.build(site, index=False)
    for shard in (site / cache.CACHE_DIR / "articles").glob("*.pickle"):
        shard.write_bytes(damage)
    pipeline.build(site, index=False)
    assert ">Fine</h1>" in (site / "public/articles/a/index.html").read_text()


def test_a_cache_from_another_builder_version_is_ignored(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article("Real title")})
    pipeline.build(site, index=False)
    [path] = (site / cache.CACHE_DIR / "articles").glob("*.pickle")
    stale = cache.read_pickle(path)
    assert isinstance(stale, cache.ParseCache)
    text_digest, (parsed, warnings) = stale.articles["content/articles/a.md"]
    forged = type(parsed)(**{**{f: getattr(parsed, f) for f in parsed.__slots__},
                             "title": "Stale title"})
    stale.articles["content/articles/a.md"] = (text_digest, (forged, warnings))

    def write(cached: cache.ParseCache) -> None:
        cache.write_pickle(path, cached)

    write(stale)  # the same version, well formed: used (the forgery shows)
    for record in ("published.pickle", "pages.pickle"):
        (site / cache.CACHE_DIR / record).unlink()
    pipeline.build(site, index=False)
    assert ">Stale title</h1>" in (site / "public/articles/a/index.html").read_text()
    stale.version = "an older builder"
    write(stale)
    for record in ("published.pickle", "pages.pickle"):
        (site / cache.CACHE_DIR / record).unlink()
    pipeline.build(site, index=False)
    assert ">Real title</h1>" in (site / "public/articles/a/index.html").read_text()


def test_a_shard_with_a_bad_checksum_is_not_unpickled(make_site: MakeSite,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site({"content/articles/a.md": article("Fine")})
    pipeline.build(site, index=False)
    [path] = (site / cache.CACHE_DIR / "articles").glob("*.pickle")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(cache.pickle, "loads", lambda payload: pytest.fail("unpickled"))
    assert cache.load(site).articles == {}


@pytest.mark.parametrize("record", ["related.pickle", "stamps.pickle", "pages.pickle",
                                    "published.pickle"])
@pytest.mark.parametrize("damage", ["damaged", "another version"])
def test_a_record_that_cannot_be_trusted_is_ignored(make_site: MakeSite, record: str,
                                                    damage: str) -> None:
    site = make_site({"content/articles/a.md": article("Good")})
    pipeline.build(site, index=False)
    path = site / cache.CACHE_DIR / record
    if damage == "damaged":
        data = bytearray(path.read_bytes())
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
    else:  # another builder's record: its shape may differ
        cache.write_pickle(path, ("an older builder", {"content/articles/a.md": 1}))
    assert cache.read_record(path) is None
    (site / "content/articles/a.md").write_text(article("Changed"))
    pipeline.build(site, index=False)
    assert ">Changed</h1>" in (site / "public/articles/a/index.html").read_text()


def test_check_writes_no_cache(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article()})
    pipeline.check(site)
    assert not (site / cache.CACHE_DIR).exists()


def test_parallel_and_single_process_builds_are_identical(make_site: MakeSite, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(many_articles(260))
    monkeypatch.setenv("WARCHIVE_WORKERS", "1")
    pipeline.build(site, out=tmp_path / "single", index=False)
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")
    shutil.rmtree(site / cache.CACHE_DIR / "articles")
    pipeline.build(site, out=tmp_path / "parallel", index=False)
    assert files(tmp_path / "single") == files(tmp_path / "parallel")


def test_a_no_change_rebuild_rewrites_nothing_and_keeps_the_index(make_site: MakeSite) -> None:
    site = make_site(many_articles(5))
    pipeline.build(site)
    public = site / "public"
    before = {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}
    result = pipeline.build(site)
    assert result.written == 0
    after = {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}
    assert after == before  # the search index included: it was reused, not rebuilt


def test_an_edit_rewrites_its_pages_and_reindexes(make_site: MakeSite) -> None:
    site = make_site(many_articles(5))
    pipeline.build(site)
    index_file = site / "public/pagefind/2025/pagefind-entry.json"
    stamp = index_file.stat().st_mtime_ns
    (site / "content/articles/2025/01/a0.md").write_text(article("A changed title"))
    result = pipeline.build(site)
    assert 0 < result.written < result.files
    assert index_file.stat().st_mtime_ns != stamp


def test_a_removed_article_is_dropped_from_the_index(make_site: MakeSite) -> None:
    site = make_site(many_articles(5))
    pipeline.build(site)
    (site / "content/articles/2025/01/a0.md").unlink()
    pipeline.build(site)
    entry = (site / "public/pagefind/2025/pagefind-entry.json").read_text()
    assert '"page_count":4' in entry


def test_an_unchanged_site_is_not_even_rendered_again(make_site: MakeSite,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(many_articles(3))
    first = pipeline.build(site, index=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered although nothing changed")

    monkeypatch.setattr(pipeline.render, "render_site", refuse)
    again = pipeline.build(site, index=False)
    assert (again.written, again.files, again.articles) == (0, first.files, first.articles)


@pytest.mark.parametrize("change", ["template", "setting", "option", "output removed"])
def test_any_change_to_the_inputs_builds_again(make_site: MakeSite, change: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(many_articles(3))
    pipeline.build(site, index=False)
    rendered = []
    real = pipeline.render.render_site
    monkeypatch.setattr(pipeline.render, "render_site",
                        lambda *a, **k: rendered.append(1) or real(*a, **k))
    drafts = False
    if change == "template":
        page = site / "templates/404.html"
        page.write_text(page.read_text().replace("Page not found", "Nothing here"))
    elif change == "setting":
        (site / "content/site.yaml").write_text("title: Renamed\n")
    elif change == "option":
        drafts = True
    else:
        shutil.rmtree(site / "public")
    pipeline.build(site, index=False, drafts=drafts)
    assert rendered == [1]


def test_an_edit_reindexes_only_its_part(make_site: MakeSite,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "PART_LIMIT", 4)  # 2024 and 2025 cannot share a part
    site = make_site({**many_articles(4),
                      "content/articles/2024/06/old.md": article("Older news", "2024-06-01")})
    pipeline.build(site)
    parts = site / "public/pagefind"
    assert sorted(p.name for p in parts.iterdir()) == ["2024", "2025"]
    stamps = {p: p.stat().st_mtime_ns for p in parts.rglob("*") if p.is_file()}
    (site / "content/articles/2025/01/a0.md").write_text(article("A changed title"))
    pipeline.build(site)
    after = {p: p.stat().st_mtime_ns for p in parts.rglob("*") if p.is_file()}
    unchanged = {p.relative_to(parts).parts[0] for p in after if stamps.get(p) == after[p]}
    rebuilt = {p.relative_to(parts).parts[0] for p in after if stamps.get(p) != after[p]}
    assert "2024" in unchanged and "2024" not in rebuilt and "2025" in rebuilt


def test_an_edit_rewrites_one_shard_of_the_parse_cache(make_site: MakeSite) -> None:
    site = make_site(many_articles(100))
    pipeline.build(site, index=False)
    shards = {p: p.stat().st_mtime_ns for p in (site / cache.CACHE_DIR / "articles").iterdir()}
    assert len(shards) > 30
    (site / "content/articles/2025/01/a0.md").write_text(article("Edited", "2025-01-01"))
    pipeline.build(site, index=False)
    rewritten = [p for p, mtime in shards.items() if p.stat().st_mtime_ns != mtime]
    assert len(rewritten) == 1
    assert ">Edited</h1>" in (site / "public/articles/a0/index.html").read_text()


def test_an_unchanged_file_is_not_read_again_and_a_touched_one_is(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_RACY_NS", 0)  # the files here are all brand new
    site = make_site(many_articles(3))
    pipeline.build(site, index=False)
    read: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    (site / "content/articles/2025/02/a1.md").write_text(article("Now changed", "2025-02-02"))
    pipeline.build(site, index=False)
    assert [name for name in read if name.endswith(".md")] == ["a1.md", "a1.md"]  # hash, parse
    assert ">Now changed</h1>" in (site / "public/articles/a1/index.html").read_text()


def test_a_file_changed_a_moment_ago_is_not_remembered_by_its_stat(make_site: MakeSite) -> None:
    site = make_site(many_articles(2))
    pipeline.build(site, index=False)
    assert cache.read_record(site / cache.CACHE_DIR / "stamps.pickle") == {}


def test_what_the_cache_holds_unpickles_equal_field_by_field() -> None:
    """`cached.Cached` pickles the slots in order and unpickles through `__init__`:
    a field left out of `__init__` or out of order would come back wrong."""
    import dataclasses

    from builder import cached
    from builder.articles import parse_article

    claims = "\n  - {subject: troops, value: 11000, claimed_by: Zelensky, as_of: 2025-03-01}"
    text = article("Pickled", "2025-03-04", "A body.", claims=claims,
                   updates="\n  - {date: 2025-03-05, note: Figure corrected.}")
    parsed, problems = parse_article("content/articles/p.md", text, "p")
    assert parsed is not None and not problems and parsed.claims and parsed.updates
    kinds = {getattr(sys.modules[kind.__module__], kind.__name__)  # the slots class made
             for kind in cached.Cached.__subclasses__()}            # in place of each
    assert len(kinds) == 8
    for kind in kinds:
        assert kind.__slots__ == tuple(f.name for f in dataclasses.fields(kind) if f.init)
    again = pickle.loads(pickle.dumps(parsed))
    assert again == parsed and b"A body." in zlib.decompress(again.body_zip)


def test_a_process_unpickles_only_the_shards_written_since_it_read_them(
        make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dev server rebuilds in one process: an edit's shard is read again, no other."""
    site = make_site(many_articles(40))
    pipeline.build(site, index=False)
    cache.load(site)
    unpickled: list[str] = []
    real = cache.read_pickle

    def counting(path: Path) -> object:
        if path.parent.name == "articles":  # a shard of the parse cache
            unpickled.append(path.name)
        return real(path)

    monkeypatch.setattr(cache, "read_pickle", counting)
    assert len(cache.load(site).articles) == 40 and unpickled == []
    (site / "content/articles/2025/02/a1.md").write_text(article("Edited", "2025-02-02"))
    pipeline.build(site, index=False)  # reads before it saves the edited article's shard
    assert unpickled == []
    [(_, (parsed, _))] = [entry for path, entry in cache.load(site).articles.items()
                          if path.endswith("/a1.md")]
    assert parsed.title == "Edited" and len(unpickled) == 1


def test_a_process_keeps_no_shard_of_another_builder_version(make_site: MakeSite) -> None:
    """The first build after an upgrade parses the archive anew: holding the old parse
    meanwhile cost 500 MB at 100k articles."""
    site = make_site(many_articles(40))
    pipeline.build(site, index=False)
    shards = sorted((site / cache.CACHE_DIR / "articles").glob("*.pickle"))
    for path in shards:
        old = cache.read_pickle(path)
        assert isinstance(old, cache.ParseCache)
        cache.write_pickle(path, cache.ParseCache("an older builder", old.articles))
    assert cache.load(site).articles == {}
    assert not set(cache._read_before) & {str(path) for path in shards}


def test_the_libraries_versions_are_read_as_installed() -> None:
    """From the dist-info folders' names, without importing `importlib.metadata`."""
    from importlib import metadata

    for module, library in cache._OUTPUT_LIBRARIES.items():
        assert cache._installed_version(module, library) == metadata.version(library)
    assert cache._installed_version("no_such_module", "no-such-library") == "missing"
