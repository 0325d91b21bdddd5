"""Page keys and the related-coverage memo: what changes a key, what leaves it, what is
refused; which related lists are reused."""

from __future__ import annotations

import dataclasses
import datetime as dt

import jinja2
import pytest
from markupsafe import Markup

from builder import pagekeys, related, render
from builder.model import Body, Entry, Site, build_site
from builder.settings import Settings

from .test_model import make, registries


def site_of(*articles) -> Site:  # type: ignore[no-untyped-def]
    site, problems = build_site(list(articles), registries(), {}, Settings())
    assert site is not None and not problems
    return site


def key(context: dict[str, object], base: str = "base") -> str:
    return pagekeys.Keys(base).page("article.html", "articles/a/index.html", context)


def test_equal_contexts_give_equal_keys_and_any_difference_another() -> None:
    site = site_of(make("a", "2025-01-01", people=["Zelensky"]), make("b", "2025-01-02"))
    a, b = sorted(site.entries, key=lambda e: e.article.slug)
    context = {"entry": a, "related": [b], "count": 3, "day": dt.date(2025, 1, 1),
               "note": Markup("<b>x</b>"), "flag": True, "nothing": None}
    assert key(context) == key(dict(context))
    changed = [{**context, "related": []}, {**context, "count": 4},
               {**context, "day": dt.date(2025, 1, 2)}, {**context, "note": "<b>x</b>!"},
               {**context, "flag": False}, {**context, "nothing": 0}, {**context, "entry": b}]
    keys = {key(c) for c in changed} | {key(context), key(context, base="other")}
    assert len(keys) == len(changed) + 2


def test_an_article_enters_by_its_front_matter_and_a_body_by_its_text() -> None:
    """A body edit changes only the key of a page whose context holds the body."""
    site = site_of(make("a", "2025-01-01"))
    [entry] = site.entries

    def edited(**fields: str) -> Entry:
        return dataclasses.replace(entry, article=dataclasses.replace(entry.article, **fields))

    retitled, rewritten = edited(head_digest="retitled"), edited(digest="body edited")
    assert key({"entry": entry}) != key({"entry": retitled})
    assert key({"entry": entry}) == key({"entry": rewritten})
    assert key({"body": Body(entry.article)}) != key({"body": Body(rewritten.article)})


def test_a_template_shows_a_body_only_from_its_page_context() -> None:
    """Given an entry, `site.body` would show a body the page's key does not cover."""
    site = site_of(make("a", "2025-01-01"))
    [entry] = site.entries
    env = render.environment({"t.html": "{{ site.body(shown) }}"}, None, "/", None)
    shown = render.Globals(site, env)
    with pytest.raises(jinja2.TemplateRuntimeError, match="not Entry"):
        env.get_template("t.html").render(site=shown, shown=entry)
    assert env.get_template("t.html").render(site=shown, shown=Body(entry.article)) == ""


def test_strings_cannot_run_into_each_other() -> None:
    assert key({"a": ["ab", "c"]}) != key({"a": ["a", "bc"]})
    assert key({"a": ("x",)}) != key({"a": "x"})
    assert key({"a": Markup("<i>")}) != key({"a": "<i>"})


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot encode object"):
        key({"thing": object()})


def test_a_value_shown_on_many_pages_is_encoded_once_and_still_told_apart() -> None:
    site = site_of(make("a", "2025-01-01"), make("b", "2025-02-01"), make("c", "2024-05-01"))
    keys = pagekeys.Keys("base")
    encoded: list[object] = []
    real = keys._dataclass

    def counting(value: object) -> str:
        encoded.append(value)
        return real(value)

    keys._dataclass = counting  # type: ignore[method-assign]
    year_2025, year_2024 = site.archive
    first = keys.page("month.html", "m/index.html", {"year": year_2025})
    calls = len(encoded)
    assert keys.page("month.html", "m/index.html", {"year": year_2025}) == first
    assert len(encoded) == calls + 1  # the year alone, from the memo: not its months
    assert keys.page("month.html", "m/index.html", {"year": year_2024}) != first
    assert first == pagekeys.Keys("base").page("month.html", "m/index.html",
                                               {"year": year_2025})
    edited = dataclasses.replace(year_2025, months=year_2025.months[:1])
    assert keys.page("month.html", "m/index.html", {"year": edited}) != first


def test_related_lists_are_reused_until_their_inputs_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [make(f"a{i}", f"2025-01-{1 + i:02d}", people=["Zelensky"],
                     places=["Kursk" if i % 2 else "Ukraine"]) for i in range(6)]
    ranked: list[str] = []
    real = Site.related

    def counting(self: Site, entry, limit):  # type: ignore[no-untyped-def]
        ranked.append(entry.article.slug)
        return real(self, entry, limit)

    monkeypatch.setattr(Site, "related", counting)

    def lists_of(found, memo, version="v1"):  # type: ignore[no-untyped-def]
        ranked.clear()
        site = site_of(*found)
        lists, fresh = related.related_lists(site, memo, version)
        expected = {e: real(site, e, site.settings.related_articles) for e in site.entries}
        assert lists == expected
        return sorted(ranked), fresh

    everything, memo = lists_of(articles, {})
    assert len(everything) == 6
    assert lists_of(articles, memo)[0] == []
    body_edited = [dataclasses.replace(articles[0], digest="new text"), *articles[1:]]
    assert lists_of(body_edited, memo)[0] == []
    moved = [*articles[:5], make("a5", "2025-01-06", people=["Zelensky"], places=["Ukraine"])]
    assert 0 < len(lists_of(moved, memo)[0]) <= 6
    assert lists_of(articles, memo, "v2")[0] == everything


def test_a_mutable_dataclass_is_encoded_afresh_each_time() -> None:
    @dataclasses.dataclass
    class Box:
        count: int

    keys, box = pagekeys.Keys("base"), Box(1)
    first = keys.page("t.html", "p/index.html", {"box": box})
    box.count = 2
    assert keys.page("t.html", "p/index.html", {"box": box}) != first
