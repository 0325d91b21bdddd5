from __future__ import annotations

import pytest

from builder.urls import Urls, is_slug, slugify


@pytest.mark.parametrize(("text", "slug"), [
    ("Олександр Сирський", "oleksandr-syrskyi"),
    ("Київ", "kyiv"),
    ("Эльвира Набиуллина", "elvira-nabiullina"),  # Russian letters pick Russian romanisation
    ("Volodymyr Zelensky", "volodymyr-zelensky"),
    ("Kim Il-sung", "kim-il-sung"),
    ("  Ukraine's  air defence!  ", "ukraines-air-defence"),
    ("Zürich", "zurich"),
])
def test_slugs_are_readable_ascii(text: str, slug: str) -> None:
    assert slugify(text) == slug and is_slug(slug)


@pytest.mark.parametrize("bad", ["../x", "a/b", "/abs", "", "A", "a--b", "-a", "a_b"])
def test_unsafe_slugs_are_not_slugs(bad: str) -> None:
    assert not is_slug(bad)


def test_routes_pair_link_and_file_under_a_sub_path() -> None:
    urls = Urls("https://example.org/war/")
    route = urls.term("people", "volodymyr-zelensky", 2)
    assert route.output == "people/volodymyr-zelensky/page/2/index.html"
    assert route.href == "/war/people/volodymyr-zelensky/page/2/"
    assert route.url == "https://example.org/war/people/volodymyr-zelensky/page/2/"
    assert urls.home().output == "index.html" and urls.home().href == "/war/"
    assert urls.archive(2025, 2).href == "/war/archive/2025/02/"


def test_root_site_links_start_at_slash() -> None:
    assert Urls("https://example.org").article("x").href == "/articles/x/"


def test_a_route_never_leaves_the_output() -> None:
    with pytest.raises(ValueError):
        Urls("https://example.org/").article("../../etc")
