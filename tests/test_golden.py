"""The fixture site (tests/fixtures/site), built with the project's real templates, compared
file by file with the committed expected output in tests/golden/.

When a change to the builder or the templates changes the output on purpose, rewrite the
golden tree and review it like any other change:

    .venv/bin/python -m pytest tests/test_golden.py --update-golden
    git diff --stat tests/golden/

The golden build runs with `index=False`: the Pagefind index is left out (see
`test_two_builds_are_byte_identical` for why it cannot be compared byte for byte).
"""

from __future__ import annotations

import difflib
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from builder import pipeline

from .conftest import FIXTURE_SITE, TEMPLATES

GOLDEN = Path(__file__).resolve().parent / "golden"
BASE_URL = "https://example.org/war/"
BASE_PATH = "/war/"
SKIPPED_DIRS = ("pagefind",)
"""Top-level output folders never compared: Pagefind's index (see above)."""
LINK_ATTRIBUTES = ("href", "src", "action", "data-bundle")
"""Attributes holding an address; data-bundle is the search page's Pagefind bundle path."""
SHOWN_DIFFS = 3
DIFF_LINES = 80


# ---------------------------------------------------------------------------------------
# Helpers, also used by test_validators.py


def build_fixture(dest: Path, base_url: str | None = None, index: bool = False) -> Path:
    """Copies the fixture site and the real templates under `dest`, builds it, returns the
    output folder. The fixture has no templates/ of its own, on purpose."""
    site = dest / "site"
    shutil.copytree(FIXTURE_SITE, site, ignore=shutil.ignore_patterns("public", ".public*"))
    shutil.copytree(TEMPLATES, site / "templates")
    out = dest / "public"
    pipeline.build(site, out=out, base_url=base_url, index=index)
    return out


def output_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` by POSIX path relative to it, Pagefind's folder left out."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in SKIPPED_DIRS:
            files[relative.as_posix()] = path.read_bytes()
    return files


def html_files(root: Path) -> list[Path]:
    return [root / rel for rel in output_files(root) if rel.endswith(".html")]


class ParsedPage(HTMLParser):
    """What the tests need from one HTML page: its addresses, ids, text and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        """(tag, attribute, value) for every attribute in LINK_ATTRIBUTES."""
        self.attributes: list[tuple[str, str, str]] = []
        """(tag, attribute, value) for every attribute of every element."""
        self.ids: set[str] = set()
        self.text: list[str] = []
        """Every text node, unescaped, in document order."""
        self.captured: dict[str, list[str]] = {"title": [], "h1": [], "script": [],
                                               "jsonld": []}
        """Text inside <title>, <h1>, executable <script> and JSON-LD data blocks."""
        self.body_anchors: list[dict[str, str]] = []
        """Attributes of every <a> inside an article body (<div class="body">)."""
        self._open: list[str] = []
        self._body_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            self.attributes.append((tag, name, value))
            if name in LINK_ATTRIBUTES:
                self.links.append((tag, name, value))
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "div" and (self._body_depth or "body" in values.get("class", "").split()):
            self._body_depth += 1
        if tag == "a" and self._body_depth:
            self.body_anchors.append(values)
        if tag == "script" and values.get("type") == "application/ld+json":
            tag = "jsonld"  # a data block: never executed, checked as JSON instead
        if tag in self.captured:
            self._open.append(tag)
            self.captured[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._body_depth:
            self._body_depth -= 1
        if tag == "script" and "jsonld" in self._open:
            tag = "jsonld"
        if tag in self._open:
            self._open.remove(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for tag in self._open:
            self.captured[tag][-1] += data


def parse_html(path: Path) -> ParsedPage:
    page = ParsedPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


# ---------------------------------------------------------------------------------------
# The golden comparison


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("golden"))


def _unified_diff(rel: str, expected: bytes, actual: bytes, expected_name: str,
                  actual_name: str) -> str:
    try:
        old, new = expected.decode("utf-8"), actual.decode("utf-8")
    except UnicodeDecodeError:
        return (f"--- {rel}: binary file differs ({len(expected)} bytes in {expected_name}, "
                f"{len(actual)} in {actual_name})")
    lines = list(difflib.unified_diff(old.splitlines(keepends=True),
                                      new.splitlines(keepends=True),
                                      fromfile=f"{expected_name}/{rel}",
                                      tofile=f"{actual_name}/{rel}"))
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more diff lines)\n"]
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


GOLDEN_HINT = ("If the change is intended: pytest tests/test_golden.py --update-golden, "
               "then review git diff tests/golden/")


def golden_report(expected: dict[str, bytes], actual: dict[str, bytes],
                  expected_name: str = "golden", actual_name: str = "built",
                  hint: str = GOLDEN_HINT) -> str:
    """A readable account of how `actual` differs from `expected`, or '' when it does not."""
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    changed = sorted(rel for rel in expected.keys() & actual.keys()
                     if expected[rel] != actual[rel])
    if not (missing or extra or changed):
        return ""
    parts = [f"The {actual_name} differs from {expected_name}."]
    for label, names in ((f"missing from {actual_name} (in {expected_name} only)", missing),
                         (f"extra in {actual_name} (not in {expected_name})", extra),
                         ("different", changed)):
        if names:
            parts.append(f"{len(names)} file(s) {label}:\n" + "\n".join(f"  {n}" for n in names))
    for rel in changed[:SHOWN_DIFFS]:
        parts.append(_unified_diff(rel, expected[rel], actual[rel], expected_name,
                                   actual_name))
    if len(changed) > SHOWN_DIFFS:
        parts.append(f"(diffs of the other {len(changed) - SHOWN_DIFFS} file(s) not shown)")
    if hint:
        parts.append(hint)
    return "\n\n".join(parts)


def write_golden(files: dict[str, bytes]) -> None:
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for rel, data in files.items():
        path = GOLDEN / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_build_matches_golden(built: Path, request: pytest.FixtureRequest) -> None:
    actual = output_files(built)
    if request.config.getoption("--update-golden"):
        write_golden(actual)
        pytest.skip(f"rewrote tests/golden/ ({len(actual)} files); review it with git diff")
    assert GOLDEN.is_dir(), "tests/golden/ is missing; make it with --update-golden"
    report = golden_report(output_files(GOLDEN), actual, "tests/golden", "build")
    if report:
        pytest.fail(report, pytrace=False)


def test_golden_report_is_readable() -> None:
    """The failure message names missing, extra and changed files and shows a diff."""
    expected = {"a.html": b"<p>one</p>\n<p>two</p>\n", "gone.xml": b"x", "same.txt": b"s"}
    actual = {"a.html": b"<p>one</p>\n<p>2</p>\n", "new.css": b"y", "same.txt": b"s"}
    report = golden_report(expected, actual)
    assert "missing from built (in golden only):\n  gone.xml" in report
    assert "extra in built (not in golden):\n  new.css" in report
    assert "--- golden/a.html\n+++ built/a.html\n" in report
    assert "different:\n  a.html" in report
    assert "-<p>two</p>\n+<p>2</p>\n" in report
    assert "same.txt" not in report
    assert golden_report(expected, dict(expected)) == ""


def test_fixture_exercises_the_contract(built: Path) -> None:
    """The fixture's intent, spelled out, so the golden tree is not trusted blindly."""
    files = output_files(built)
    # Slugs: from the canonical name, transliterated when it is Cyrillic.
    assert "people/oleksandr-syrskyi/index.html" in files
    assert "people/kyrylo-budanov/index.html" in files
    # Drafts and terms named only by drafts are left out.
    assert not any(rel.startswith("articles/draft-peace-talks/") for rel in files)
    assert not any(rel.startswith("topics/peace-talks/") for rel in files)
    # per_page: 2 paginates: 6 articles name Zelensky, 4 of them through different aliases.
    assert "people/volodymyr-zelensky/page/3/index.html" in files
    assert "people/volodymyr-zelensky/page/4/index.html" not in files
    # So does an outlet's: Example Wire gave three articles (and a draft).
    assert "sources/example-wire/page/2/index.html" in files
    assert "sources/example-wire/page/3/index.html" not in files
    # An article naming only aliases links to the canonical terms.
    page = files["articles/syrskyi-says-sudzha-taken/index.html"].decode()
    for href in ("/war/people/oleksandr-syrskyi/", "/war/people/volodymyr-zelensky/",
                 "/war/places/sudzha/", "/war/places/kursk-oblast/"):
        assert f'href="{href}"' in page
    # The Ukrainian article declares its language.
    # The page's chrome is in the site's language; the article's own text carries its own.
    uk_page = files["articles/kyiv-air-defence-night/index.html"].decode()
    assert '<html lang="en">' in uk_page and '<div class="body" lang="uk">' in uk_page


# ---------------------------------------------------------------------------------------
# Reproducibility


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    """Two builds, in different folders and with the search index, give the same bytes.

    pagefind/ is left out: Pagefind writes its filter files (and so the hashes in
    pagefind-entry.json) in an unstable order from one run to the next, see Pagefind issue
    #638 ("Pagefind 1.1.0 output is not stable"; fragments are stable since 1.3.0, the
    filter and metadata indexes still are not).
    """
    first = build_fixture(tmp_path / "one", index=True)
    second = build_fixture(tmp_path / "two", index=True)
    for out in (first, second):
        assert (out / "pagefind" / "2024_2025" / "pagefind-entry.json").is_file()
    report = golden_report(output_files(first), output_files(second), "first build",
                           "second build", hint="")
    if report:
        pytest.fail(report, pytrace=False)


# ---------------------------------------------------------------------------------------
# Served from a sub-path


def test_every_site_absolute_link_carries_the_sub_path(built: Path) -> None:
    wrong = []
    checked = 0
    for path in html_files(built):
        for tag, name, value in parse_html(path).links:
            if value.startswith("/"):
                checked += 1
                if not value.startswith(BASE_PATH):
                    wrong.append(f"{path.relative_to(built)}: <{tag} {name}={value!r}>")
    assert checked > 100, "expected the fixture's pages to hold many site-absolute links"
    assert not wrong, f"links that lose the {BASE_PATH} sub-path:\n" + "\n".join(wrong)


def _address_of(built: Path, path: Path) -> str:
    relative = path.relative_to(built).as_posix()
    return BASE_PATH + relative.removesuffix("index.html")


def _target_file(built: Path, address_path: str) -> Path:
    relative = address_path.removeprefix(BASE_PATH)
    return built / (relative + "index.html" if relative == "" or relative.endswith("/")
                    else relative)


def test_internal_links_resolve(built: Path) -> None:
    """Every link within the site names a built file, and every #fragment an id on its page.

    Pagefind's files are absent from this build (index=False) and are not checked.
    """
    pages = {path: parse_html(path) for path in html_files(built)}
    broken = set()
    for path, page in pages.items():
        for tag, name, value in page.links:
            parts = urlsplit(urljoin(_address_of(built, path), value))
            if parts.scheme or parts.netloc or parts.path.startswith(BASE_PATH + "pagefind/"):
                continue
            where = f"{path.relative_to(built)}: <{tag} {name}={value!r}>"
            if not parts.path.startswith(BASE_PATH):
                broken.add(f"{where}: outside the site's {BASE_PATH}")
                continue
            target = _target_file(built, parts.path)
            if not target.is_file():
                broken.add(f"{where}: no file {target.relative_to(built)}")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                broken.add(f"{where}: no id {parts.fragment!r} on that page")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(broken))


def test_sub_path_changes_only_the_address_prefix(built: Path, tmp_path: Path) -> None:
    """Built for the domain root instead, the site has the same files, and each differs
    only by the /war/ prefix of its addresses."""
    at_root = build_fixture(tmp_path, base_url="https://example.org/")
    sub, root = output_files(built), output_files(at_root)
    assert sub.keys() == root.keys()

    def to_root(data: bytes) -> bytes:
        return (data.replace(BASE_URL.encode(), b"https://example.org/")
                .replace(b'"' + BASE_PATH.encode(), b'"/')
                .replace(b" " + BASE_PATH.encode() + b"pagefind/", b" /pagefind/"))

    report = golden_report(root, {rel: to_root(data) for rel, data in sub.items()},
                           "root-build", "subpath-build-without-war", hint="")
    if report:
        pytest.fail(report, pytrace=False)
