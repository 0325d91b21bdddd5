"""Pure: articles, registries and settings to the `Site` every page is rendered from.

No I/O here. Route collisions and unresolved names are found here, before anything is
written, and returned as problems.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from markupsafe import Markup

from .articles import Article, Claim, Mention, Update
from .cached import Cached
from .problems import Problem, did_you_mean
from .registries import KINDS, SINGULAR, Registry, Subject, Term
from .settings import Settings
from .urls import Route, Urls, slugify

PART_LIMIT = 4000
"""Articles in one part of the search index at most: a larger year is split by month.
Pagefind's memory grows with the pages of one index (about 0.28 MiB each). Smaller parts
would re-index faster after an edit (2,000 articles: 3 s, 4,000: 6 s), but each part
costs a first search about 10 kB more: at 10k articles six parts of 2,000 fetched
333 kB, three of about 3,300 fetch 295 kB (bench/README.md)."""
RELATED_BUDGET = 400
"""Articles looked at, at most, to find one article's related coverage."""


@dataclass(frozen=True, slots=True)
class Body:
    """An article's body, for the page that shows it. Page keys know an article by its
    front matter alone (`pagekeys`); a template reaches a body only through a Body in its
    page's context, which the key covers: no page can show a body its key does not know."""

    article: Article


@dataclass(slots=True, eq=False)
class Entry(Cached):
    """An article placed in the site, its names resolved to registry terms. Known by its
    identity: an edit that keeps the article's placement gives the entry its new version
    (`keeps_placement`), and every listing holding the entry shows it."""

    article: Article
    route: Route
    outlet: Route
    """The page of the article's source outlet."""
    lang: str
    people: tuple[Term, ...]
    places: tuple[Term, ...]
    topics: tuple[Term, ...]

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.people + self.places + self.topics

    @property
    def other_spellings(self) -> str:
        """Every alias of its terms: search metadata, so any spelling finds the article."""
        return " ".join(alias for term in self.terms for alias in term.aliases)

    @property
    def last_changed(self) -> dt.datetime:
        """When the article last changed: its latest update, or its publication (UTC)."""
        published = self.article.published
        if isinstance(published, dt.datetime):
            moment = published.astimezone(dt.UTC)
        else:
            moment = dt.datetime.combine(published, dt.time(), dt.UTC)
        updates = [dt.datetime.combine(u.date, dt.time(), dt.UTC) for u in self.article.updates]
        return max([moment, *updates])

    def sort_key(self) -> tuple[str, str]:
        return (self.article.published.isoformat(), self.article.slug)


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One attributed figure where it was reported."""

    claim: Claim
    entry: Entry
    claimant: str
    """The claimant's canonical name: a registered person's alias never splits a series."""
    person: Term | None
    """The registered person who made the claim, if the claimant is one."""


@dataclass(frozen=True, slots=True)
class Ledger:
    """Every claim about one subject, oldest first: the series readers compare."""

    subject: Subject
    route: Route
    rows: tuple[ClaimRow, ...]

    @property
    def latest(self) -> ClaimRow:
        return self.rows[-1]

    @property
    def claimants(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.claimant for row in self.rows))


@dataclass(frozen=True, slots=True)
class Outlet:
    """A news organisation and the coverage taken from it, newest first."""

    name: str
    route: Route
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    route: Route
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    route: Route
    months: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.entries) for m in self.months)


@dataclass(frozen=True, slots=True)
class Site:
    settings: Settings
    urls: Urls
    entries: tuple[Entry, ...]
    """Newest first."""
    registries: dict[str, Registry]
    coverage: dict[Term, tuple[Entry, ...]]
    """Each registry term's articles, newest first (empty for a term no article names)."""
    archive: tuple[Year, ...]
    subjects: dict[str, Subject] = field(default_factory=dict)
    order: dict[Entry, int] = field(default_factory=dict)
    """Each entry's place in `entries`, newest first: the tie-breaker of rankings."""
    ledgers: tuple[Ledger, ...] = ()
    """One per claim subject with claims, by label."""
    claims_by: dict[Term, tuple[ClaimRow, ...]] = field(default_factory=dict)
    """The claims each registered person made, newest first."""
    sub_places: dict[Term, tuple[Term, ...]] = field(default_factory=dict)
    """The places directly within each place that has coverage, or coverage below it."""
    parent_place: dict[Term, Term] = field(default_factory=dict)
    outlets: tuple[Outlet, ...] = ()
    """Every source outlet, by name."""
    about_html: Markup | None = None
    """content/about.md rendered: how the archive is curated."""

    def search_parts(self) -> list[tuple[str, tuple[Entry, ...]]]:
        """The parts of the search index, newest first, each a run of whole years (whole
        months, in a year of more than PART_LIMIT articles) of at most PART_LIMIT articles.

        Runs are gathered from the oldest year on, so new coverage, which lands in the
        newest years, leaves the older parts as they were: their bundles are reused. Each
        part costs the reader a download of Pagefind's wasm, so parts are few and large.
        """
        spans: list[tuple[str, tuple[Entry, ...]]] = []
        for year in reversed(self.archive):
            if year.count <= PART_LIMIT:
                spans.append((f"{year.year:04d}", tuple(e for m in year.months
                                                        for e in m.entries)))
            else:
                spans += [(f"{m.year:04d}-{m.month:02d}", m.entries) for m in reversed(year.months)]
        parts: list[tuple[str, tuple[Entry, ...]]] = []
        for name, entries in spans:
            if parts and len(parts[-1][1]) + len(entries) <= PART_LIMIT:
                first = parts[-1][0].split("_")[0]
                parts[-1] = (f"{first}_{name}", entries + parts[-1][1])
            else:
                parts.append((name, entries))
        return parts[::-1]

    def search_bundles(self) -> list[str]:
        """Addresses of the search index's parts, newest first, for the search page."""
        return [self.urls.file(f"pagefind/{name}/").href for name, _ in self.search_parts()]

    def neighbours(self, entry: Entry) -> tuple[Entry | None, Entry | None]:
        """The previous (older) and next (newer) article by date."""
        rank = self.order[entry]
        older = self.entries[rank + 1] if rank + 1 < len(self.entries) else None
        return older, (self.entries[rank - 1] if rank > 0 else None)

    def recent_updates(self, limit: int) -> list[tuple[Entry, Update]]:
        """Corrections and updates across the archive, newest first."""
        found = [(e, u) for e in self.entries for u in e.article.updates]
        return heapq.nlargest(limit, found, key=lambda eu: (eu[1].date, -self.order[eu[0]]))

    def term_route(self, term: Term, page: int = 1) -> Route:
        return self.urls.term(term.kind, term.slug, page)

    def term_feed(self, term: Term) -> Route:
        return self.urls.term_feed(term.kind, term.slug)

    def terms(self, kind: str) -> tuple[Term, ...]:
        """The registry's terms with a page, by name: those with coverage of their own,
        places with coverage of a place within them, and people who made a claim."""
        return tuple(sorted((t for t in self.registries[kind].terms if self.has_page(t)),
                            key=lambda t: t.name.casefold()))

    def has_page(self, term: Term) -> bool:
        return bool(self.coverage.get(term) or self.sub_places.get(term)
                    or self.claims_by.get(term))

    def ancestors(self, place: Term) -> list[Term]:
        """The places `place` sits within, outermost first (Russia, then Kursk Oblast)."""
        chain: list[Term] = []
        current = self.parent_place.get(place)
        while current is not None and current not in chain:
            chain.insert(0, current)
            current = self.parent_place.get(current)
        return chain

    def sub_coverage(self, place: Term, limit: int) -> list[Entry]:
        """Newest articles naming a place within `place` but not `place` itself."""
        own = set(self.coverage.get(place, ()))
        found: set[Entry] = set()
        stack = list(self.sub_places.get(place, ()))
        while stack:
            child = stack.pop()
            found.update(e for e in self.coverage.get(child, ()) if e not in own)
            stack.extend(self.sub_places.get(child, ()))
        return heapq.nsmallest(limit, found, key=self.order.__getitem__)

    def most_covered(self, kind: str, limit: int) -> list[tuple[Term, int]]:
        counted = [(t, len(self.coverage[t])) for t in self.terms(kind) if self.coverage[t]]
        return sorted(counted, key=lambda tc: (-tc[1], tc[0].name.casefold()))[:limit]

    def co_terms(self, term: Term, limit: int) -> list[tuple[Term, int]]:
        """The terms most often named in the same articles as `term`."""
        counts = Counter(chain.from_iterable(e.terms for e in self.coverage[term]))
        counts.pop(term, None)
        if 0 < limit < len(counts):  # only the terms that can make the cut are sorted by name
            cut = heapq.nlargest(limit, counts.values())[-1]
            counts = Counter({t: count for t, count in counts.items() if count >= cut})
        return sorted(counts.items(), key=lambda tc: (-tc[1], tc[0].name.casefold()))[:limit]

    def claims_in(self, entry: Entry) -> list[ClaimRow]:
        """The article's claims, their claimants resolved (every subject is declared)."""
        return [claim_row(c, entry, self.registries["people"]) for c in entry.article.claims]

    def related(self, entry: Entry, limit: int) -> list[Entry]:
        """Articles sharing the article's rarest terms; ties go to the newer.

        A shared term weighs 1/log(1 + its article count), so Kursk outweighs Ukraine.
        Only the rarest terms are walked, newest articles first, until about
        `RELATED_BUDGET` articles have been seen: the cost per article stays flat at
        any archive size, and the terms left out are the ones that weigh least.
        """
        scores: dict[Entry, float] = defaultdict(float)
        budget = RELATED_BUDGET
        for term in sorted(entry.terms, key=lambda t: (len(self.coverage[t]), t.name)):
            if budget <= 0:
                break
            coverage = self.coverage[term]
            weight = 1.0 / math.log(1 + len(coverage))
            for other in coverage[:budget]:
                scores[other] += weight
            budget -= len(coverage)
        scores.pop(entry, None)
        if 0 < limit < len(scores):  # only the candidates that can make the cut are ranked
            cut = heapq.nlargest(limit, scores.values())[-1]
            scores = {e: score for e, score in scores.items() if score >= cut}
        order = self.order
        best = sorted(scores.items(), key=lambda es: (-es[1], order[es[0]]))[:limit]
        return [e for e, _ in best]


def build_site(articles: Iterable[Article], registries: dict[str, Registry],
               subjects: dict[str, Subject], settings: Settings,
               about_html: Markup | None = None) -> tuple[Site | None, list[Problem]]:
    urls = Urls(settings.base_url)
    problems: list[Problem] = []
    entries = [_place(a, registries, subjects, settings, urls, problems) for a in articles]
    problems += _slug_collisions(entries)
    if problems:
        return None, problems
    entries.sort(key=Entry.sort_key, reverse=True)
    coverage: dict[Term, list[Entry]] = defaultdict(list)
    for entry in entries:
        for term in entry.terms:
            coverage[term].append(entry)
    ledgers = _ledgers(entries, subjects, registries["people"], urls)
    by_outlet: dict[Route, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_outlet[entry.outlet].append(entry)
    outlets = tuple(sorted((Outlet(es[0].article.source.name, route, tuple(es))
                            for route, es in by_outlet.items()), key=lambda o: o.name.casefold()))
    claims_by: dict[Term, list[ClaimRow]] = defaultdict(list)
    for row in sorted((r for ledger in ledgers for r in ledger.rows),
                      key=lambda r: (r.claim.as_of, r.entry.sort_key()), reverse=True):
        if row.person is not None:
            claims_by[row.person].append(row)
    every_term = {t: tuple(coverage.get(t, ())) for r in registries.values() for t in r.terms}
    site = Site(settings, urls, tuple(entries), registries, every_term,
                _archive(entries, urls), subjects,
                {entry: rank for rank, entry in enumerate(entries)}, ledgers,
                {person: tuple(rows) for person, rows in claims_by.items()},
                *_place_tree(registries["places"], coverage), outlets, about_html)
    return site, problems


def _place_tree(places: Registry, coverage: dict[Term, list[Entry]],
                ) -> tuple[dict[Term, tuple[Term, ...]], dict[Term, Term]]:
    """Each place's covered sub-places (directly within it), and each place's parent."""
    parent = {t: p for t in places.terms if t.within and (p := places.find(t.within))}
    covered: set[Term] = set()
    for place in (t for t in places.terms if coverage.get(t)):
        current: Term | None = place
        while current is not None and current not in covered:
            covered.add(current)
            current = parent.get(current)
    children: dict[Term, list[Term]] = defaultdict(list)
    for place in sorted(covered, key=lambda t: t.name.casefold()):
        if place in parent:
            children[parent[place]].append(place)
    return {p: tuple(cs) for p, cs in children.items()}, parent


def outlet_slug(name: str) -> str:
    """The outlet's romanised name, or, for a script with no romanisation here (新华社),
    a stable slug from its hash, so two such outlets never share a page."""
    return slugify(name) or "source-" + hashlib.blake2b(name.encode(), digest_size=4).hexdigest()


def claim_row(claim: Claim, entry: Entry, people: Registry) -> ClaimRow:
    person = people.find(claim.claimed_by)
    return ClaimRow(claim, entry, person.name if person else claim.claimed_by, person)


def _ledgers(entries: Sequence[Entry], subjects: dict[str, Subject], people: Registry,
             urls: Urls) -> tuple[Ledger, ...]:
    rows: dict[str, list[ClaimRow]] = defaultdict(list)
    for entry in entries:
        for claim in entry.article.claims:
            rows[claim.subject].append(claim_row(claim, entry, people))
    ledgers = [Ledger(subjects[slug], urls.claims(slug), tuple(sorted(
                   found, key=lambda r: (r.claim.as_of, r.claimant, r.entry.sort_key()))))
               for slug, found in rows.items() if slug in subjects]
    return tuple(sorted(ledgers, key=lambda ledger: ledger.subject.label.casefold()))


def placement(entry: Entry) -> tuple[object, ...]:
    """What decides where the site lists an entry and what it makes of it: its pages,
    their order, the archive's months, claim series, corrections, feeds' dates. Two
    entries of one placement are listed on the same pages in the same places, which show
    the rest of the article only through the entry: in their contexts, as a leaf of their
    page keys (`pagekeys.Keys.covered`). The article's part is compared by its
    representation: a moment in another offset (the archive's month, the order) or a
    figure written 847860.0 (claims.csv) equals the old one, yet is shown otherwise."""
    article = entry.article
    shown = (article.published, article.draft, article.source.name, article.claims,
             article.updates)
    return (entry.route, entry.outlet, entry.lang, entry.terms, repr(shown))


def keeps_placement(site: Site, entry: Entry, article: Article) -> bool:
    """Whether `article`, a new version of `entry`'s, would be placed as it is, with no
    problem: then the entry may take it and the site stays as a build would make it."""
    problems: list[Problem] = []
    placed = _place(article, site.registries, site.subjects, site.settings, site.urls, problems)
    return not problems and placement(placed) == placement(entry)


def _place(article: Article, registries: dict[str, Registry], subjects: dict[str, Subject],
           settings: Settings, urls: Urls, problems: list[Problem]) -> Entry:
    resolved = {kind: _resolve(article, getattr(article, kind), registries[kind], problems)
                for kind in KINDS}
    for claim in article.claims:
        if claim.subject not in subjects:
            problems.append(Problem(article.path, claim.line, f"unknown claim subject "
                                    f"{claim.subject!r}", _subject_hint(claim.subject, subjects)))
    outlet = urls.sources(outlet_slug(article.source.name))
    return Entry(article, urls.article(article.slug), outlet, article.lang or settings.language,
                 resolved["people"], resolved["places"], resolved["topics"])


def _resolve(article: Article, mentions: Sequence[Mention], registry: Registry,
             problems: list[Problem]) -> tuple[Term, ...]:
    found: dict[Term, None] = {}
    for name, line in mentions:
        term = registry.find(name)
        if term is None:
            hint = registry.suggest(name)
            add = f"or add it to content/{registry.kind}.yaml as '- name: {name}'"
            problems.append(Problem(article.path, line, f"unknown "
                                    f"{SINGULAR[registry.kind]} {name!r}",
                                    f"{hint} {add}" if hint else add[3:]))
        else:
            found[term] = None
    return tuple(found)


def _subject_hint(slug: str, subjects: dict[str, Subject]) -> str:
    declare = f"declare it in content/claims.yaml as '- slug: {slug}' with a label and unit"
    suggestion = did_you_mean(slug, subjects)
    return f"{suggestion} or {declare}" if suggestion else declare


def _slug_collisions(entries: Sequence[Entry]) -> list[Problem]:
    first: dict[str, Article] = {}
    problems = []
    for entry in entries:
        article = entry.article
        other = first.setdefault(article.slug, article)
        if other is not article:
            problems.append(Problem(article.path, article.slug_line, f"slug {article.slug!r} "
                                    f"is already used by {other.path}",
                                    "two articles cannot share one address; set 'slug:'"))
    return problems


def _archive(entries: Sequence[Entry], urls: Urls) -> tuple[Year, ...]:
    by_month: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        by_month[(entry.article.day.year, entry.article.day.month)].append(entry)
    years: dict[int, list[Month]] = defaultdict(list)
    for (year, month), month_entries in sorted(by_month.items(), reverse=True):
        years[year].append(Month(year, month, urls.archive(year, month), tuple(month_entries)))
    return tuple(Year(y, urls.archive(y), tuple(ms)) for y, ms in years.items())
