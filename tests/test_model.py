from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from builder import frontmatter
from builder.articles import Article, Mention, Source
from builder.model import build_site
from builder.registries import read_registry
from builder.settings import Settings

from .conftest import PEOPLE, PLACES, TOPICS


def registries():  # type: ignore[no-untyped-def]
    found = {}
    for kind, text in (("people", PEOPLE), ("places", PLACES), ("topics", TOPICS)):
        data, _ = frontmatter.load(text, kind)
        found[kind], problems = read_registry(kind, data, kind)
        assert not problems
    return found


def make(slug: str, day: str, people=(), places=(), topics=()):  # type: ignore[no-untyped-def]
    def mentions(names):  # type: ignore[no-untyped-def]
        return tuple(Mention(n, 5) for n in names)

    return Article(path=f"content/articles/{slug}.md", slug=slug, slug_line=1, title=slug,
                   published=dt.date.fromisoformat(day), summary="s", source=Source("Wire"),
                   people=mentions(people), places=mentions(places), topics=mentions(topics),
                   lang=None, draft=False, claims=(), updates=(), figures=(),
                   curator_note=None, body_html=Markup(""))


def test_entries_newest_first_and_aliases_resolve() -> None:
    site, problems = build_site([make("old", "2024-01-01", people=["Zelenskyy"]),
                                 make("new", "2025-03-01", people=["Volodymyr Zelensky"])],
                                registries(), {}, Settings())
    assert site and not problems
    assert [e.article.slug for e in site.entries] == ["new", "old"]
    zelensky = site.registries["people"].find("Zelensky")
    assert zelensky is not None and len(site.coverage[zelensky]) == 2


def test_unknown_terms_name_line_and_suggestion() -> None:
    _, problems = build_site([make("a", "2025-01-01", people=["Zelenskyj"])], registries(), {},
                             Settings())
    assert problems[0].line == 5 and "unknown person 'Zelenskyj'" in problems[0].message
    assert "Zelensky" in problems[0].hint and "content/people.yaml" in problems[0].hint


def test_one_slug_two_articles_is_a_collision() -> None:
    _, problems = build_site([make("same", "2025-01-01"), make("same", "2025-01-02")],
                             registries(), {}, Settings())
    assert len(problems) == 1 and "already used" in problems[0].message


def test_related_prefers_rare_shared_terms() -> None:
    articles = [make("base", "2025-01-05", places=["Kursk", "Ukraine"]),
                make("kursk", "2025-01-01", places=["Kursk"]),
                make("ukraine1", "2025-01-02", places=["Ukraine"]),
                make("ukraine2", "2025-01-03", places=["Ukraine"]),
                make("ukraine3", "2025-01-04", places=["Ukraine"])]
    site, _ = build_site(articles, registries(), {}, Settings())
    assert site
    base = next(e for e in site.entries if e.article.slug == "base")
    assert [e.article.slug for e in site.related(base, 2)] == ["kursk", "ukraine3"]


def test_archive_groups_by_year_and_month() -> None:
    site, _ = build_site([make("a", "2025-02-01"), make("b", "2025-02-20"),
                          make("c", "2024-12-31")], registries(), {}, Settings())
    assert site
    assert [(y.year, [m.month for m in y.months]) for y in site.archive] == [(2025, [2]),
                                                                              (2024, [12])]
    assert site.archive[0].count == 2
