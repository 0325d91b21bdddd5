from __future__ import annotations

import random
import string

import pytest
from markdown_it.common.normalize_url import normalizeLink

from builder.markdown import is_safe_link, normalize_link, render, under_base


def test_raw_html_is_shown_as_text() -> None:
    html = render("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                  "data:text/html,<b>x</b>", "vbscript:x", "file:///etc/passwd",
                                  "java\tscript:alert(1)", "foo:bar",
                                  "java\u00a0script:alert(1)", "java\u200bscript:alert(1)"])
def test_dangerous_links_are_dropped(href: str) -> None:
    assert not is_safe_link(href)
    assert "href" not in render(f"[x]({href})")


@pytest.mark.parametrize("href", ["https://a.org/x", "http://a.org", "mailto:a@b.org",
                                  "/people/x/", "../x", "#fn1", "page?q=1"])
def test_safe_links_survive(href: str) -> None:
    assert is_safe_link(href)


def _addresses(count: int) -> list[str]:
    """Addresses near and inside the plain form `normalize_link` passes through."""
    chance = random.Random(7)
    safe = string.ascii_letters + string.digits + "-._~/?#@!$&'()*+,;=:"
    odd = "%[]\\ \"<>^`{|}é例"
    host_chars = string.ascii_letters + string.digits + ".-"
    addresses = []
    for _ in range(count):
        host = "".join(chance.choice(host_chars) for _ in range(chance.randint(0, 10)))
        tail = "".join(chance.choice(safe if chance.random() < 0.9 else odd)
                       for _ in range(chance.randint(0, 20)))
        start = chance.choice(["http://", "https://", "HTTP://", "/", "//", "", "mailto:"])
        addresses.append(start + chance.choice(["", "xn--"]) + host
                         + chance.choice(["", ":80", ":", ":x"])
                         + chance.choice(["", "/", "?", "#"]) + tail)
    return addresses


@pytest.mark.parametrize("url", [
    "https://a.org/x?q=1#f", "http://a.org:80/x", "HTTP://A.org/", "/people/a-b/", "/a b",
    "/%41", "//evil.org/x", "http://例え.jp/", "https://xn--d1acufc.xn--p1ai/", "http://h:x/",
    "http://a.org&b:4", "mailto:a@b.org", "../x", "#fn1", f"http://{'a' * 64}:80/x",
    f"http://{'a' * 64}.b:8080/x", f"http://{'a.' * 130}org/x", f"http://{'a.' * 130}org",
    f"http://{'a' * 63}.{'b' * 63}/x", f"http://{'a' * 5000}/x"])
def test_links_are_normalized_as_markdown_it_does(url: str) -> None:
    assert normalize_link(url) == normalizeLink(url)


def test_many_addresses_are_normalized_as_markdown_it_does() -> None:
    addresses = _addresses(4000)
    assert [url for url in addresses if normalize_link(url) != normalizeLink(url)] == []


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
