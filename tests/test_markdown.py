from __future__ import annotations

import pytest

from builder.markdown import is_safe_link, render, under_base


def test_raw_html_is_shown_as_text() -> None:
    html = render("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                  "data:text/html,<b>x</b>", "vbscript:x", "file:///etc/passwd",
                                  "java\tscript:alert(1)", "foo:bar"])
def test_dangerous_links_are_dropped(href: str) -> None:
    assert not is_safe_link(href)
    assert "href" not in render(f"[x]({href})")


@pytest.mark.parametrize("href", ["https://a.org/x", "http://a.org", "mailto:a@b.org",
                                  "/people/x/", "../x", "#fn1", "page?q=1"])
def test_safe_links_survive(href: str) -> None:
    assert is_safe_link(href)


def test_external_links_get_noopener() -> None:
    assert 'rel="noopener noreferrer"' in render("[a](https://a.org)")
    assert "rel=" not in render("[a](/local/)")


def test_tables_and_footnotes() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n")
    assert "<table>" in html and 'class="footnotes"' in html


@pytest.mark.parametrize("top", ["#", "##", "###"])
def test_body_headings_start_below_the_title_without_gaps(top: str) -> None:
    html = render(f"{top} Section\n\n{top}# Part\n")
    assert html.startswith("<h2>Section</h2>") and "<h3>Part</h3>" in html


def test_root_relative_links_follow_the_sub_path() -> None:
    html = render("[a](/people/x/) [b](/war/archive/) [c](//cdn.example/x) [d](../y/) "
                  "[e](https://example.org/z) [f](/war-crimes/)")
    rebased = under_base(html, "/war/")
    assert 'href="/war/people/x/"' in rebased and 'href="/war/archive/"' in rebased
    assert 'href="//cdn.example/x"' in rebased and 'href="../y/"' in rebased
    assert 'href="https://example.org/z"' in rebased and 'href="/war/war-crimes/"' in rebased
    assert under_base(html, "/") == html
    bare = under_base(render("[r](/war) [s](/war#top) [t](/warsaw/)"), "/war/")
    assert 'href="/war"' in bare and 'href="/war#top"' in bare
    assert 'href="/war/warsaw/"' in bare


def test_only_links_markdown_made_are_rebased() -> None:
    html = render('Text that says <a href="/people/x/"> is shown, not linked.')
    assert under_base(html, "/war/") == html
