from __future__ import annotations

import datetime as dt
import time

from builder import frontmatter
from builder.frontmatter import YList, YMap
from builder.problems import Problem


def test_split_keeps_body_and_its_first_line() -> None:
    parts = frontmatter.split("---\na: 1\n---\nBody\n", "x.md")
    assert not isinstance(parts, Problem)
    assert parts.yaml_text == "a: 1" and parts.body == "Body\n" and parts.body_first_line == 4


def test_bom_and_crlf_are_normalised() -> None:
    assert frontmatter.normalise("\ufeff---\r\na: 1\r\n---\r\n") == "---\na: 1\n---\n"


def test_unterminated_front_matter_is_a_problem_on_line_1() -> None:
    problem = frontmatter.split("---\ntitle: x\n", "x.md")
    assert isinstance(problem, Problem) and problem.line == 1
    assert "unterminated" in problem.message


def test_every_key_and_item_keeps_its_file_line() -> None:
    data, problems = frontmatter.load("a: 1\nlist:\n  - x\n  - y\n", "x.md", first_line=2)
    assert not problems and isinstance(data, YMap)
    assert data.line_of("a") == 2 and data.line_of("list") == 3
    assert isinstance(data["list"], YList) and data["list"].item_lines == [4, 5]


def test_dates_are_dates_and_impossible_ones_are_problems() -> None:
    data, problems = frontmatter.load("d: 2025-02-08\n", "x.md")
    assert data["d"] == dt.date(2025, 2, 8) and not problems
    _, problems = frontmatter.load("ok: 1\nd: 2025-02-30\n", "x.md")
    assert [p.line for p in problems] == [2] and "impossible" in problems[0].message


def test_duplicate_keys_name_the_first_line() -> None:
    _, problems = frontmatter.load("title: a\nx: 1\ntitle: b\n", "x.md")
    assert problems == [Problem("x.md", 3, "duplicate key 'title' (first on line 1)")]


def test_python_tags_are_refused_not_constructed() -> None:
    _, problems = frontmatter.load("x: !!python/object/apply:os.system ['echo pwned']\n", "x.md")
    assert problems and "tag" in problems[0].message


def test_alias_bomb_is_refused_quickly() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]"
               for i in range(8)]
    start = time.perf_counter()
    _, problems = frontmatter.load("\n".join(levels) + "\n", "x.md")
    assert time.perf_counter() - start < 1.0
    assert problems and all("aliases" in p.message for p in problems)


def test_syntax_errors_carry_the_line() -> None:
    _, problems = frontmatter.load("a: 1\nb: [unclosed\nc: 2\n", "x.md", first_line=2)
    assert problems and problems[0].line >= 3 and "invalid YAML" in problems[0].message
