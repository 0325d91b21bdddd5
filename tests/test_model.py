from __future__ import annotations

import datetime as dt
import zlib

from builder import frontmatter
from builder.articles import Article, Source
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
        return tuple((n, 5) for n in names)

    return Article(path=f"content/articles/{slug}.md", digest=slug, head_digest=slug,
                   slug=slug, slug_line=1, title=slug,
                   published=dt.date.fromisoformat(day), summary="s", source=Source("Wire"),
                   people=mentions(people), places=mentions(places), topics=mentions(topics),
                   lang=None, draft=False, claims=(), updates=(), figures=(),
                   curator_note=None, content_warning=None, body_zip=zlib.compress(b""))


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


def test_claims_form_one_series_per_subject_and_aliases_never_split_it() -> None:
    from builder.articles import Claim
    from builder.registries import Subject

    def claiming(slug: str, day: str, who: str, value: int):  # type: ignore[no-untyped-def]
        base = make(slug, day)
        claim = Claim("losses", value, who, dt.date.fromisoformat(day), None, 9, "party")
        return type(base)(**{**{f: getattr(base, f) for f in base.__slots__},
                             "claims": (claim,)})

    subjects = {"losses": Subject("losses", "Losses", "soldiers")}
    site, problems = build_site([claiming("a", "2025-01-01", "Zelenskyy", 40_000),
                                 claiming("b", "2025-02-01", "Volodymyr Zelensky", 45_000),
                                 claiming("c", "2025-01-15", "General Staff", 90_000)],
                                registries(), subjects, Settings())
    assert site and not problems
    (ledger,) = site.ledgers
    assert [r.claimant for r in ledger.rows] == ["Volodymyr Zelensky", "General Staff",
                                                 "Volodymyr Zelensky"]
    assert ledger.claimants == ("Volodymyr Zelensky", "General Staff")
    assert ledger.latest.claim.value == 45_000
    zelensky = site.registries["people"].find("Zelensky")
    assert zelensky is not None
    assert [r.claim.value for r in site.claims_by[zelensky]] == [45_000, 40_000]


def test_an_undeclared_claim_subject_is_a_problem() -> None:
    from builder.articles import Claim

    base = make("a", "2025-01-01")
    claim = Claim("losess", 1, "X", dt.date(2025, 1, 1), None, 12)
    article = type(base)(**{**{f: getattr(base, f) for f in base.__slots__}, "claims": (claim,)})
    from builder.registries import Subject

    _, problems = build_site([article], registries(), {"losses": Subject("losses", "Losses")},
                             Settings())
    assert problems[0].line == 12 and "'losses'" in problems[0].hint
    assert "content/claims.yaml" in problems[0].hint


def test_search_parts_gather_whole_years_from_the_oldest(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from builder import model

    monkeypatch.setattr(model, "PART_LIMIT", 3)
    articles = [make(f"a{i}", day) for i, day in enumerate(
        ["2022-05-01", "2023-01-01", "2023-06-01", "2024-01-01", "2024-02-01", "2024-03-01",
         "2024-04-01", "2025-01-01"])]
    site, _ = build_site(articles, registries(), {}, Settings())
    assert site
    parts = [(name, len(entries)) for name, entries in site.search_parts()]
    # 2024 is larger than a part, so it is cut by month; runs fill up from the oldest.
    assert parts == [("2024-04_2025", 2), ("2024-01_2024-03", 3), ("2022_2023", 3)]
    assert sum(n for _, n in parts) == len(articles)


def test_co_terms_most_named_first_then_by_name() -> None:
    articles = [make("a", "2025-01-01", people=["Zelensky"], places=["Ukraine", "Russia"]),
                make("b", "2025-01-02", people=["Zelensky"], places=["Ukraine"]),
                make("c", "2025-01-03", places=["Ukraine", "Kursk"], topics=["casualties"]),
                make("d", "2025-01-04", places=["Russia"], topics=["North Korean troops"])]
    site, _ = build_site(articles, registries(), {}, Settings())
    assert site
    ukraine = site.registries["places"].find("Ukraine")
    assert ukraine is not None
    named = [(term.name, count) for term, count in site.co_terms(ukraine, 2)]
    assert named == [("Volodymyr Zelensky", 2), ("casualties", 1)]
    assert len(site.co_terms(ukraine, 10)) == 4
    assert site.co_terms(ukraine, 0) == [] and site.related(site.entries[0], 0) == []
