"""The fixture site's output checked by outside validators and by safety rules.

- HTML: the W3C Nu HTML Checker (vnu.jar, from the npm package vnu-jar: `npm install` in
  the repository root), run once over every page, must report zero errors.
- Feeds: every Atom feed parses cleanly with feedparser, with absolute links.
- Sitemap and robots.txt: well-formed, absolute, and pointing at files that exist.
- Safety: hostile titles and bodies come out as text, never as markup.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from .conftest import FIXTURE_SITE, IN_CI, ROOT
from .test_golden import BASE_URL, build_fixture, html_files, output_files, parse_html

pytestmark = pytest.mark.slow

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
HOSTILE_TITLE = """Sirens & "shelters" </script><script>alert(1)</script> in Kyiv's night"""
HOSTILE_PAGE = "articles/sirens-and-shelters/index.html"
RAW_HTML_PAGE = "articles/drone-output-compared/index.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("validators"))


def published_articles() -> int:
    """Articles of the fixture that are not drafts."""
    return sum("\ndraft: true\n" not in path.read_text(encoding="utf-8")
               for path in (FIXTURE_SITE / "content" / "articles").rglob("*.md"))


def unavailable(reason: str) -> None:
    """A missing validator fails in CI, where it must run, and skips elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the validator must run in CI)", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------
# HTML: the Nu HTML Checker


def _vnu_location(message: dict[str, object], built: Path) -> str:
    url = str(message.get("url", ""))
    name = url.removeprefix("file:")
    with contextlib.suppress(ValueError):
        name = Path(name).relative_to(built).as_posix()
    line, column = message.get("lastLine", message.get("firstLine")), message.get("firstColumn")
    return f"{name}:{line}:{column}" if line else name


def test_every_page_passes_the_nu_html_checker(built: Path) -> None:
    java = shutil.which("java")
    if java is None:
        unavailable("java is not installed (apt-get install default-jre-headless)")
    if not VNU_JAR.is_file():
        unavailable(f"{VNU_JAR} is missing: run npm install in {ROOT}")
    pages = [str(path) for path in html_files(built)]
    assert len(pages) > 40
    # One JVM for all the pages; vnu writes its JSON report to stderr.
    result = subprocess.run([str(java), "-jar", str(VNU_JAR), "--errors-only", "--format",
                             "json", *pages], capture_output=True, text=True, timeout=600,
                            check=False)
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu gave no JSON report (exit {result.returncode}):\n"
                    f"{result.stderr[-4000:]}{result.stdout[-2000:]}", pytrace=False)
    errors = [m for m in report.get("messages", [])
              if m.get("type") in ("error", "non-document-error")]
    if errors:
        lines = [f"{_vnu_location(m, built)}: {m.get('message')}"
                 + (f"\n    {m['extract']!r}" if m.get("extract") else "") for m in errors]
        pytest.fail(f"the Nu HTML Checker found {len(errors)} error(s):\n" + "\n".join(lines),
                    pytrace=False)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------
# Feeds


def _feeds(built: Path) -> list[Path]:
    return [built / rel for rel in output_files(built) if rel.endswith("feed.xml")]


def test_every_feed_parses_cleanly_with_absolute_links(built: Path) -> None:
    feeds = _feeds(built)
    assert built / "feed.xml" in feeds
    assert len(feeds) > 10, "expected a feed for every term"
    for path in feeds:
        name = path.relative_to(built).as_posix()
        feed = feedparser.parse(path.read_bytes())
        assert feed.bozo == 0, f"{name}: {feed.get('bozo_exception')}"
        assert feed.version == "atom10", name
        assert feed.feed.get("title"), f"{name}: feed without a title"
        self_links = [link.href for link in feed.feed.links if link.rel == "self"]
        assert self_links == [BASE_URL + name], f"{name}: self link {self_links}"
        assert feed.entries, f"{name}: a term's feed without entries"
        for entry in feed.entries:
            assert entry.get("title"), f"{name}: entry without a title: {entry.get('id')}"
            link = entry.get("link", "")
            parts = urlsplit(link)
            assert parts.scheme == "https" and parts.netloc, f"{name}: relative link {link!r}"
            assert link.startswith(BASE_URL), f"{name}: link outside the site: {link!r}"


def test_site_feed_lists_every_published_article_newest_first(built: Path) -> None:
    feed = feedparser.parse((built / "feed.xml").read_bytes())
    expected = published_articles()
    assert expected == 7
    assert len(feed.entries) == expected
    published = [entry.published_parsed for entry in feed.entries]
    assert published == sorted(published, reverse=True)
    assert HOSTILE_TITLE in [entry.title for entry in feed.entries]
    assert not any("draft" in entry.link for entry in feed.entries)


def test_term_feed_gathers_articles_named_by_any_alias(built: Path) -> None:
    # Six articles name Volodymyr Zelensky: two by his canonical name, the others as
    # Zelensky, Zelenskyy, Zelenskiy and Зеленський.
    feed = feedparser.parse((built / "people/volodymyr-zelensky/feed.xml").read_bytes())
    assert len(feed.entries) == 6


# ---------------------------------------------------------------------------------------
# Sitemap and robots.txt


def _file_for(built: Path, loc: str) -> Path:
    relative = loc.removeprefix(BASE_URL)
    return built / (relative + "index.html" if relative == "" or relative.endswith("/")
                    else relative)


def test_sitemap_lists_every_page_by_absolute_url(built: Path) -> None:
    root = ET.parse(built / "sitemap.xml").getroot()
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    locs = [(loc.text or "").strip() for loc in root.iter(f"{{{SITEMAP_NS}}}loc")]
    assert len(locs) == len(root.findall(f"{{{SITEMAP_NS}}}url"))
    assert len(locs) == len(set(locs)), "a URL is listed twice"
    for loc in locs:
        parts = urlsplit(loc)
        assert parts.scheme == "https" and loc.startswith(BASE_URL), loc
        assert _file_for(built, loc).is_file(), f"{loc}: no such file in the output"
    listed = {_file_for(built, loc) for loc in locs}
    pages = {path for path in html_files(built) if path.name != "404.html"}
    assert listed == pages, f"pages not in the sitemap: {sorted(map(str, pages - listed))}"


def test_robots_txt_names_the_sitemap(built: Path) -> None:
    robots = (built / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots


# ---------------------------------------------------------------------------------------
# Safety


def test_no_output_carries_a_live_script_or_javascript_url(built: Path) -> None:
    """No file holds `<script>alert(1)` or the fixture's raw <img>, and `javascript:`
    never appears in markup: only as visible text, where the Markdown source of the
    refused link `[x](javascript:alert(1))` is shown as written."""
    for rel, data in output_files(built).items():
        assert b"<script>alert(1)" not in data, rel
        assert b"<img src=x" not in data, rel
        if not rel.endswith(".html"):
            assert b"javascript:" not in data.lower(), rel
            continue
        page = parse_html(built / rel)
        for tag, name, value in page.attributes:
            cleaned = "".join(ch for ch in value.lower() if ch.isprintable() and not ch.isspace())
            assert "javascript:" not in cleaned, f"{rel}: <{tag} {name}={value!r}>"
        in_text = sum(text.lower().count("javascript:") for text in page.text)
        assert data.decode().lower().count("javascript:") == in_text, \
            f"{rel}: 'javascript:' outside text content"
        for script in page.captured["script"]:
            assert "alert(" not in script, f"{rel}: inline script {script!r}"


def test_hostile_title_is_escaped_and_shown_as_written(built: Path) -> None:
    escaped = b"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    page = parse_html(built / HOSTILE_PAGE)
    assert page.captured["h1"] == [HOSTILE_TITLE]
    assert page.captured["title"][0].startswith(HOSTILE_TITLE + " · ")
    assert escaped in (built / HOSTILE_PAGE).read_bytes()
    for rel in ("index.html", "feed.xml", "places/kyiv/index.html", "archive/2025/03/index.html"):
        data = (built / rel).read_bytes()
        assert escaped in data, rel
        assert b"</script><script>" not in data, rel
    # The source's name and its URL with & survive as written.
    sources = [(tag, value) for tag, name, value in page.links
               if name == "href" and value.startswith("https://news.example.com/")]
    assert sources == [("a", "https://news.example.com/2025/03/02/sirens?a=1&b=2")]
    assert 'Tom & Jerry\'s "Daily"' in "".join(page.text)


def test_raw_html_in_a_body_is_shown_as_text(built: Path) -> None:
    data = (built / RAW_HTML_PAGE).read_bytes()
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in data
    assert b"&lt;img src=x onerror=alert(1)&gt;" in data
    page = parse_html(built / RAW_HTML_PAGE)
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text
    assert "[x](javascript:alert(1))" in text, "the refused link is shown as written"
    assert page.captured["script"] == [], "an article page runs no script"
    assert not any(tag == "img" for tag, _, _ in page.attributes)


def test_external_links_in_bodies_are_noopener_noreferrer(built: Path) -> None:
    external = 0
    for path in html_files(built):
        for anchor in parse_html(path).body_anchors:
            if urlsplit(anchor.get("href", "")).scheme in ("http", "https"):
                external += 1
                rel = set(anchor.get("rel", "").split())
                assert {"noopener", "noreferrer"} <= rel, \
                    f"{path.relative_to(built)}: <a href={anchor['href']!r} rel={rel}>"
    assert external >= 1, "the fixture's bodies should hold an external link"


def test_json_ld_describes_each_article(built: Path) -> None:
    """NewsArticle with its original as isBasedOn, people and places as `about` with their
    aliases and coordinates, and corrections; no '<' survives to close the data block."""
    import json

    for page_path in sorted((built / "articles").glob("*/index.html")):
        (block,) = parse_html(page_path).captured["jsonld"]
        assert "<" not in block
        data = json.loads(block)
        assert data["@type"] == "NewsArticle" and data["headline"]
        assert data["url"].startswith("https://example.org/war/articles/")
        assert data["isBasedOn"]["publisher"]["name"]
        assert data["datePublished"] <= data["dateModified"]
    page = parse_html(built / "articles/syrskyi-says-sudzha-taken/index.html")
    data = json.loads(page.captured["jsonld"][0])
    about = {thing["name"]: thing for thing in data["about"]}
    assert "Олександр Сирський" in about["Oleksandr Syrskyi"]["alternateName"]
    assert about["Oleksandr Syrskyi"]["@type"] == "Person"
    assert any("geo" in thing for thing in about.values())
    corrected = [json.loads(parse_html(p).captured["jsonld"][0])
                 for p in (built / "articles").glob("*/index.html")]
    assert any(d.get("correction") for d in corrected), "the fixture has an update"


def test_data_exports_round_trip(built: Path) -> None:
    """articles.json and claims.csv parse, match the site, and are ordered stably."""
    import csv
    import io
    import json

    data = json.loads((built / "data/articles.json").read_text())
    assert data["schema"] == "warchive-articles/1" and data["site"] == BASE_URL
    articles = data["articles"]
    assert len(articles) == published_articles()
    assert [a["date"] for a in articles] == sorted((a["date"] for a in articles), reverse=True)
    for item in articles:
        assert (built / item["url"].removeprefix(BASE_URL) / "index.html").exists()
        assert item["source"]["name"] and item["title"]
    rows = list(csv.DictReader(io.StringIO((built / "data/claims.csv").read_text())))
    assert rows, "the fixture has claims"
    keys = [(r["subject"], r["as_of"], r["claimant"]) for r in rows]
    assert keys == sorted(keys)
    for row in rows:
        float(row["value"])
        assert row["article_url"].startswith(BASE_URL)
        assert row["kind"] in {"reported", "party", "verified-minimum", "estimate"}
