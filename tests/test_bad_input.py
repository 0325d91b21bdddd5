"""Bad input, one class per test, through the real `warchive` command line.

Each test publishes a good tiny site first, breaks it, runs ``warchive build`` and checks
that the editor gets exit status 1, a ``path:line: message`` line pointing at the text
that is wrong, no traceback, and that the published site is byte-for-byte unchanged.

Line numbers are computed from the text the test writes (`line_of`), never copied from
the builder. The rule: a problem points at the line where the offending text is written
(the key, the item, the alias); a missing field has no text of its own, so it points at
the first line of the mapping that lacks it; a whole-file problem of a file that cannot be
read at all (a symlink out of content/) is line 0, per `builder.problems.Problem.line`.
"""

from __future__ import annotations

import itertools
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import pipeline
from builder.cache import CACHE_DIR
from builder.cli import main

from .conftest import PEOPLE, PLACES, MakeSite, article

GOOD = "content/articles/good.md"
BAD = "content/articles/bad.md"
PROBLEM_LINE = re.compile(r"^(?P<path>\S+?):(?P<line>\d+): (?P<message>.+)$")


@dataclass(frozen=True, slots=True)
class Reported:
    """One problem as printed: `path:line: message`, with its `hint:` line if any."""

    path: str
    line: int
    message: str
    hint: str

    @property
    def text(self) -> str:
        return f"{self.message}\n{self.hint}"


def line_of(text: str | bytes, start: str, occurrence: int = 1) -> int:
    """1-based number of the `occurrence`-th line of `text` that starts with `start`."""
    lines = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    found = [n for n, line in enumerate(lines.splitlines(), 1) if line.startswith(start)]
    assert len(found) >= occurrence, f"test bug: no line starting with {start!r}"
    return found[occurrence - 1]


def parse_problems(stderr: str) -> list[Reported]:
    reported: list[Reported] = []
    for line in stderr.splitlines():
        if line.startswith("    hint: ") and reported:
            last = reported[-1]
            reported[-1] = Reported(last.path, last.line, last.message,
                                    line.removeprefix("    hint: "))
            continue
        match = PROBLEM_LINE.match(line)
        if match:
            reported.append(Reported(match["path"], int(match["line"]), match["message"], ""))
    return reported


def snapshot(site: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) of the site folder, public/ included.

    The sources and the parse cache (which may learn from a failed build) are left out.
    """
    return {p.relative_to(site).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(site.rglob("*"))
            if p.relative_to(site).parts[0] not in ("content", "templates", CACHE_DIR)}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except Exception:  # a crash is a failure of its own, shown with its traceback
        pytest.fail("warchive crashed instead of reporting a problem:\n"
                    + traceback.format_exc())
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@dataclass
class Published:
    """A tiny site built once while good, with a snapshot of what was published."""

    site: Path
    before: dict[str, bytes | None]
    stderr: str = ""

    def write(self, rel: str, data: str | bytes) -> Path:
        path = self.site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path

    def build_fails(self, capsys: pytest.CaptureFixture[str]) -> list[Reported]:
        """Runs `warchive build`; asserts exit 1 and an untouched site; returns the problems."""
        code, _, err = run(["build", str(self.site)], capsys)
        self.stderr = err
        assert code == 1, err
        assert "nothing was published" in err
        assert snapshot(self.site) == self.before, "the published site was changed"
        reported = parse_problems(err)
        assert reported, f"no 'path:line: message' line in:\n{err}"
        return reported


@pytest.fixture
def published(make_site: MakeSite) -> Published:
    site = make_site({GOOD: article("Good one")})
    pipeline.build(site, index=False)
    assert (site / "public/articles/good/index.html").is_file()
    return Published(site, snapshot(site))


def expect(reported: list[Reported], path: str, line: int, *words: str) -> Reported:
    """The problem reported at `path:line` whose message and hint hold all `words`."""
    at = [r for r in reported if (r.path, r.line) == (path, line)]
    listing = "\n".join(f"{r.path}:{r.line}: {r.message} | {r.hint}" for r in reported)
    assert at, f"nothing reported at {path}:{line}; got:\n{listing}"
    for problem in at:
        if all(word in problem.text for word in words):
            return problem
    raise AssertionError(f"no problem at {path}:{line} says {words}; got:\n{listing}")


# --- front-matter fields -------------------------------------------------------------------


def test_unknown_field_is_named_with_a_did_you_mean(published: Published,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text = article(titel="Typo")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    problem = expect(reported, BAD, line_of(text, "titel:"), "unknown field", "'titel'")
    assert "did you mean 'title'" in problem.hint
    assert len(reported) == 1


@pytest.mark.parametrize(("field", "value", "words"), [
    ("title", "42", ("'title'", "must be text", "42")),
    ("people", "5", ("'people'", "must be a list", "5")),
    ("source", "Reuters", ("'source'", "must be a mapping", "Reuters")),
    ("date", "yesterday", ("'date'", "must be a date", "yesterday")),
])
def test_wrong_type_names_field_and_wanted_type(published: Published,
                                                capsys: pytest.CaptureFixture[str], field: str,
                                                value: str, words: tuple[str, ...]) -> None:
    text = article(**{field: value})
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    expect(reported, BAD, line_of(text, f"{field}:"), *words)
    assert len(reported) == 1


@pytest.mark.parametrize("field", ["title", "date", "summary", "source"])
def test_missing_required_field(published: Published, capsys: pytest.CaptureFixture[str],
                                field: str) -> None:
    text = article(**{field: None})
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    # No line holds a missing field: the front matter's mapping starts on line 2.
    expect(reported, BAD, 2, "missing required field", f"'{field}'")
    assert len(reported) == 1


def test_missing_source_name(published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(source="\n  url: https://example.com/story\n  author: A. Writer")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    # The source mapping lacking 'name' starts on its first key's line.
    expect(reported, BAD, line_of(text, "  url:"), "source", "missing required field",
           "'name'")
    assert len(reported) == 1


def test_impossible_date(published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(date="2025-02-30")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    expect(reported, BAD, line_of(text, "date:"), "2025-02-30", "day is out of range")
    assert len(reported) == 1


def test_non_http_urls_are_refused(published: Published,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = article(source="\n  name: Test Wire\n  url: javascript:alert(1)"
                          "\n  archived_url: javascript:alert(1)")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    for key in ("url", "archived_url"):
        expect(reported, BAD, line_of(text, f"  {key}:"), f"'{key}'", "http/https",
               "javascript:alert(1)")
    assert len(reported) == 2


def test_duplicate_key(published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(summary="First summary.\nsummary: Second summary.")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    first, second = line_of(text, "summary:"), line_of(text, "summary:", 2)
    expect(reported, BAD, second, "duplicate key", "'summary'", f"first on line {first}")
    assert len(reported) == 1


# --- names from the registries --------------------------------------------------------------


def test_unknown_person_suggests_near_miss_and_how_to_add(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(people="[Zelenskyj]")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    problem = expect(reported, BAD, line_of(text, "people:"), "unknown person", "'Zelenskyj'")
    assert "did you mean" in problem.hint and "'Zelenskyy'" in problem.hint
    assert "content/people.yaml" in problem.hint and "- name: Zelenskyj" in problem.hint
    assert len(reported) == 1


@pytest.mark.parametrize(("field", "value", "kind"), [
    ("places", "[Kursk, Atlantis]", "place"),
    ("topics", "\n  - casualties\n  - weather", "topic"),
])
def test_unknown_place_and_topic(published: Published, capsys: pytest.CaptureFixture[str],
                                 field: str, value: str, kind: str) -> None:
    text = article(**{field: value})
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    name = "Atlantis" if kind == "place" else "weather"
    line = line_of(text, f"{field}:") if kind == "place" else line_of(text, "  - weather")
    problem = expect(reported, BAD, line, f"unknown {kind}", f"'{name}'")
    assert f"content/{field}.yaml" in problem.hint
    assert len(reported) == 1


# --- addresses ------------------------------------------------------------------------------


def test_two_articles_with_one_slug_name_both_paths(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = "content/articles/a/same.md", "content/articles/b/other.md"
    published.write(first, article("One"))
    text = article("Two", slug="same")
    published.write(second, text)
    reported = published.build_fails(capsys)
    expect(reported, second, line_of(text, "slug:"), "slug 'same'", first)
    assert len(reported) == 1


@pytest.mark.parametrize("slug", ["../../etc", "/abs", "a/b"])
def test_slug_that_would_escape_the_output_is_refused(
        published: Published, capsys: pytest.CaptureFixture[str], slug: str) -> None:
    text = article(slug=slug)
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    expect(reported, BAD, line_of(text, "slug:"), "slug", repr(slug), "a-z")
    assert not (published.site / "etc").exists()


# --- files that cannot be read as an article ------------------------------------------------


def test_invalid_utf8_names_the_line_of_the_bad_byte(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    data = article().encode().replace(b"A summary in", b"A summary \xff in")
    published.write(BAD, data)
    reported = published.build_fails(capsys)
    expect(reported, BAD, line_of(data, "summary:"), "UTF-8", "0xff")
    assert len(reported) == 1


@pytest.mark.parametrize(("text", "words"), [
    ("", ("empty",)),
    ("\n  \n", ("empty",)),
    ("---\ntitle: Never closed\ndate: 2025-02-08\n", ("unterminated front matter", "'---'")),
    ("title: No opening line\n---\nBody.\n", ("must start with", "'---'")),
], ids=["empty", "blank", "unterminated", "no-opening-dashes"])
def test_file_without_usable_front_matter(published: Published,
                                          capsys: pytest.CaptureFixture[str], text: str,
                                          words: tuple[str, ...]) -> None:
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    expect(reported, BAD, 1, *words)
    assert len(reported) == 1


def test_symlink_out_of_content_is_refused(published: Published, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(article("Secret from outside", slug="secret"), encoding="utf-8")
    (published.site / BAD).symlink_to(outside)
    reported = published.build_fails(capsys)
    expect(reported, BAD, 0, "symlink", "out of content/")
    assert len(reported) == 1


def test_broken_symlink_is_reported(published: Published,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    (published.site / BAD).symlink_to(published.site / "content/articles/gone.md")
    reported = published.build_fails(capsys)
    expect(reported, BAD, 0, "cannot read", "symlink")
    assert len(reported) == 1


def test_articles_that_is_no_folder_is_reported(make_site: MakeSite,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/articles/good.md": article("Good one")})
    pipeline.build(site, index=False)
    published = Published(site, snapshot(site))
    articles = site / "content/articles"
    (articles / "good.md").unlink()
    articles.rmdir()
    articles.write_text("not a folder")
    reported = published.build_fails(capsys)
    expect(reported, "content/articles", 0, "cannot list", "folder")


# --- hostile YAML ---------------------------------------------------------------------------


def test_yaml_tags_are_refused_and_not_run(published: Published, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "tag-was-executed"
    text = article(title=f'!!python/object/apply:os.system ["touch {marker}"]')
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    assert not marker.exists(), "the YAML tag ran a command"
    expect(reported, BAD, line_of(text, "title:"), "YAML tag", "python/object/apply:os.system")


def test_billion_laughs_alias_bomb_is_refused_quickly(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    names = "abcdefghi"
    bomb = [f'{names[0]}: &{names[0]} [{", ".join(["lol"] * 9)}]']
    bomb += [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in itertools.pairwise(names)]
    text = article(body="Boom.").replace("\n---\n", "\n" + "\n".join(bomb) + "\n---\n", 1)
    published.write(BAD, text)
    start = time.perf_counter()
    reported = published.build_fails(capsys)
    assert time.perf_counter() - start < 2.0
    aliases = [r for r in reported if "alias" in r.message.casefold()]
    # The rest of the front matter is still checked: the bomb's keys are unknown fields.
    others = [r for r in reported if r not in aliases]
    assert aliases and all(r.message.startswith("unknown field") for r in others)
    assert len(aliases) <= 8 * 9, "more problems than aliases written: was it expanded?"
    # Each alias is reported where it is written: lines b..i, never line a (no alias there).
    alias_lines = {line_of(text, f"{n}: &{n}") for n in names[1:]}
    assert {r.line for r in aliases} == alias_lines
    assert all(r.path == BAD for r in aliases)


# --- registries and settings ---------------------------------------------------------------


def test_misspelled_key_in_people_yaml(published: Published,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = PEOPLE.replace("  aliases: [Zelensky,", "  alias: [Zelensky,")
    published.write("content/people.yaml", text)
    reported = published.build_fails(capsys)
    problem = expect(reported, "content/people.yaml", line_of(text, "  alias:"),
                     "unknown field", "'alias'")
    assert "did you mean 'aliases'" in problem.hint


def test_misspelled_key_in_site_yaml(published: Published,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    text = "title: Test Archive\nbase_ulr: https://example.org/\n"
    published.write("content/site.yaml", text)
    reported = published.build_fails(capsys)
    problem = expect(reported, "content/site.yaml", line_of(text, "base_ulr:"),
                     "unknown field", "'base_ulr'")
    assert "did you mean 'base_url'" in problem.hint
    assert len(reported) == 1


def test_one_alias_on_two_registry_entries(published: Published,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = PEOPLE + "- name: Volodymyr Zelenskyi\n  aliases: [Zelenskyy]\n"
    published.write("content/people.yaml", text)
    reported = published.build_fails(capsys)
    line = line_of(text, "  aliases: [Zelenskyy]")
    expect(reported, "content/people.yaml", line, "'Zelenskyy'", "'Volodymyr Zelensky'",
           "'Volodymyr Zelenskyi'")
    assert len(reported) == 1


def test_within_names_an_unknown_place(published: Published,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = PLACES.replace("  within: Russia", "  within: Rusia")
    published.write("content/places.yaml", text)
    reported = published.build_fails(capsys)
    problem = expect(reported, "content/places.yaml", line_of(text, "  within:"),
                     "unknown place", "'Rusia'", "within")
    assert "did you mean 'Russia'" in problem.hint
    assert len(reported) == 1


# --- all at once, and what must be accepted ---------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_path_then_line(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    broken = {
        "content/articles/z.md": article(date="2025-13-01"),
        "content/articles/a.md": article(title="42"),
        "content/articles/2025/m.md": article(titel="Typo"),
    }
    for rel, text in broken.items():
        published.write(rel, text)
    reported = published.build_fails(capsys)
    expected = [("content/articles/2025/m.md", line_of(broken["content/articles/2025/m.md"],
                                                       "titel:")),
                ("content/articles/a.md", line_of(broken["content/articles/a.md"], "title:")),
                ("content/articles/z.md", line_of(broken["content/articles/z.md"], "date:"))]
    assert [(r.path, r.line) for r in reported] == expected
    assert "3 problems; nothing was published" in published.stderr


def test_problems_in_one_file_sorted_by_line_number(published: Published,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text = article(title="42", extra="not a field", lang="[en]")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    lines = [r.line for r in reported]
    assert lines == sorted([line_of(text, "title:"), line_of(text, "extra:"),
                            line_of(text, "lang:")])
    assert max(lines) >= 10, "test bug: a two-digit line makes string sorting visible"


@pytest.mark.parametrize(("name", "encode"), [
    ("crlf", lambda text: text.replace("\n", "\r\n").encode()),
    ("bom", lambda text: b"\xef\xbb\xbf" + text.encode()),
    ("bom-crlf", lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()),
])
def test_problem_lines_count_true_lines_in_crlf_and_bom_files(
        published: Published, capsys: pytest.CaptureFixture[str], name: str,
        encode: Callable[[str], bytes]) -> None:
    text = article(titel="Typo")
    published.write(BAD, encode(text))
    reported = published.build_fails(capsys)
    expect(reported, BAD, line_of(text, "titel:"), "unknown field", "'titel'")


def test_crlf_and_bom_are_accepted(make_site: MakeSite,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({
        "content/articles/crlf.md": article("Windows lines").replace("\n", "\r\n").encode(),
        "content/articles/bom.md": b"\xef\xbb\xbf" + article("With a BOM").encode(),
        "content/articles/both.md":
            b"\xef\xbb\xbf" + article("Both at once").replace("\n", "\r\n").encode(),
        "content/people.yaml": b"\xef\xbb\xbf" + PEOPLE.replace("\n", "\r\n").encode(),
        "content/site.yaml":
            b"\xef\xbb\xbftitle: Test Archive\r\nbase_url: https://example.org/\r\n",
    })
    code, _, err = run(["build", str(site)], capsys)
    assert code == 0, err
    for slug, title in (("crlf", "Windows lines"), ("bom", "With a BOM"),
                        ("both", "Both at once")):
        page = (site / f"public/articles/{slug}/index.html").read_text("utf-8")
        assert title in page
        assert "\ufeff" not in page and "\r" not in page


def test_check_on_a_bad_site_exits_1_and_writes_nothing(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(people="[Zelenskyj]")
    site = make_site({BAD: text})
    before = sorted(p.as_posix() for p in site.parent.rglob("*"))
    code, _, err = run(["check", str(site)], capsys)
    assert code == 1
    expect(parse_problems(err), BAD, line_of(text, "people:"), "unknown person", "'Zelenskyj'")
    assert not (site / "public").exists()
    assert sorted(p.as_posix() for p in site.parent.rglob("*")) == before


def test_check_on_a_good_site_exits_0_and_writes_nothing(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({GOOD: article()})
    before = sorted(p.as_posix() for p in site.parent.rglob("*"))
    code, out, err = run(["check", str(site)], capsys)
    assert code == 0, err
    assert "ok" in out
    assert sorted(p.as_posix() for p in site.parent.rglob("*")) == before


def test_a_bad_value_does_not_hide_the_other_mistakes_of_its_file(
        published: Published, capsys: pytest.CaptureFixture[str]) -> None:
    text = article(date="2025-02-30", source="\n  name: Wire\n  url: javascript:alert(1)")
    published.write(BAD, text)
    reported = published.build_fails(capsys)
    assert [r.line for r in reported] == [line_of(text, "date:"), line_of(text, "  url:")]
    assert "impossible value" in reported[0].message and "http" in reported[1].message
