"""`Site` + Jinja2 templates to a stream of `Output`s. Reads no files, holds no pages."""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    BytecodeCache,
    DictLoader,
    Environment,
    StrictUndefined,
    TemplateRuntimeError,
    select_autoescape,
)
from markupsafe import Markup

from . import export, markdown, pagekeys, parallel, structured
from .chart import format_number, line_chart
from .model import Body, Entry, Ledger, Site, outlet_slug
from .registries import KINDS, SINGULAR, Term
from .urls import Route


@dataclass(frozen=True, slots=True)
class Output:
    path: str
    """Relative to the output folder; decided by a `Route`."""
    data: bytes | None
    """None when the published file is current (its page key is unchanged): it is kept."""
    key: str | None = None
    """The page's key (`pagekeys`); None for a file that has none (assets, robots.txt)."""
    covers: array[int] | None = None
    """The entries its key covers, by rank in `Site.entries` (`pagekeys.Keys.covered`):
    an edit to their front matter may change this page, an edit to another's cannot."""


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    count: int
    route: Route
    previous: Route | None
    next: Route | None


def environment(templates: Mapping[str, str], live_reload: str | None = None,
                base_path: str = "/", compiled: BytecodeCache | None = None) -> Environment:
    """`compiled` keeps the templates' compiled code between builds."""
    env = Environment(loader=DictLoader(dict(templates)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "xml"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True,
                      bytecode_cache=compiled)

    def markdown_here(text: str) -> Markup:
        return Markup(markdown.under_base(_markdown(text), base_path))

    env.filters.update(markdown=markdown_here, long_date=_long_date, iso=_iso, number=_number,
                       month_name=_month_name, description=structured.description)
    env.globals.update(KINDS=KINDS, SINGULAR=SINGULAR, live_reload=live_reload)
    return env


@functools.lru_cache(maxsize=1024)
def _markdown(text: str) -> Markup:
    """Cached: a term's description is rendered once, not on each of its pages."""
    return Markup(markdown.render(text))


def _long_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _iso(value: dt.date) -> str:
    """RFC 3339, as Atom wants: a date alone is taken as midnight UTC."""
    if isinstance(value, dt.datetime):
        if value.utcoffset() == dt.timedelta(0):
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat()
    return f"{value.isoformat()}T00:00:00Z"


def _number(value: float) -> str:
    return format_number(value)


def _month_name(month: int) -> str:
    return dt.date(2000, month, 1).strftime("%B")


@dataclass(frozen=True, slots=True)
class Page:
    """One file to render: where it goes, its template, and how to make its context.

    The context is made only when the page is rendered (perhaps in a worker process), so
    listing every page costs little and holds no rendered text.
    """

    route: Route
    template: str
    context: Callable[[], dict[str, Any]]


class Globals:
    """What every template sees as `site`: the settings, the addresses and what the YAML
    files declare, nothing made from the articles. Whatever a page shows of the articles
    comes in its context, which its key covers (`pagekeys`)."""

    __slots__ = ("_cards", "_env", "about_html", "settings", "subjects", "urls")

    def __init__(self, site: Site, env: Environment) -> None:
        self.settings, self.urls, self.subjects = site.settings, site.urls, site.subjects
        self.about_html = site.about_html and self._rebased(site.about_html)
        self._env, self._cards = env, dict[Entry, Markup]()

    def render(self, page: Page, context: Mapping[str, Any] | None = None) -> bytes:
        """The page, rendered with this as its `site`, from `context` if it was made
        already."""
        return self._env.get_template(page.template).render(
            site=self, route=page.route, **(page.context() if context is None else context)
        ).encode()

    def body(self, body: Body) -> Markup:
        if not isinstance(body, Body):  # an entry would do, but no page key covers its body
            raise TemplateRuntimeError(f"site.body takes the article page's `body` "
                                       f"({{{{ site.body(body) }}}}), not {type(body).__name__}")
        return self._rebased(zlib.decompress(body.article.body_zip).decode())

    def _rebased(self, html: str) -> Markup:
        return Markup(markdown.under_base(html, self.urls.base_path))

    def card(self, entry: Entry) -> Markup:
        """The article as listed (templates/_card.html), rendered once per process: the
        10k archive's listings show 300,000 cards of 10,000 articles."""
        if entry not in self._cards:
            self._cards[entry] = Markup(self._env.get_template("_card.html").render(
                site=self, entry=entry))
        return self._cards[entry]

    def term_route(self, term: Term, page: int = 1) -> Route:
        return self.urls.term(term.kind, term.slug, page)

    def term_feed(self, term: Term) -> Route:
        return self.urls.term_feed(term.kind, term.slug)

    def news_article_json(self, entry: Entry) -> Markup:
        return structured.script_json(structured.news_article(self.settings, self.urls, entry))


def render_site(site: Site, templates: Mapping[str, str], live_reload: str | None = None,
                base: str = "", published: Mapping[str, str] | None = None,
                related: Mapping[Entry, Sequence[Entry]] | None = None,
                compiled: BytecodeCache | None = None) -> Iterator[Output]:
    """Every page, feed and export. A page whose key, made with `base` (the build's key,
    `pagekeys`), equals its key in `published` (the published site's page keys) is not
    rendered: its Output has no data. `related` holds each entry's related coverage when
    it was worked out beforehand (`related.related_lists`). `compiled` keeps the
    templates' compiled code."""
    env = environment(templates, live_reload, site.urls.base_path, compiled)
    shared = Globals(site, env)
    listed = list(pages(site, related))
    sitemap = [p.route for p in listed if p.template.endswith(".html") and p.template != "404.html"]
    listed.append(Page(site.urls.file("sitemap.xml"), "sitemap.xml",
                       functools.partial(dict, routes=sitemap)))
    keys_of = pagekeys.Keys(base)
    if published:
        yield from _changed_pages(site, listed, shared, keys_of, published)
    else:
        yield from _every_page(site, listed, shared, keys_of)
    robots = f"User-agent: *\nAllow: /\nSitemap: {site.urls.file('sitemap.xml').url}\n"
    yield Output(site.urls.file("robots.txt").output, robots.encode())
    yield from exports(site, keys_of, published or {})


def exports(site: Site, keys_of: pagekeys.Keys, published: Mapping[str, str],
            earlier: Callable[[str], bytes | None] | None = None,
            revised: Collection[Entry] = ()) -> Iterator[Output]:
    """The data files (`export`), keyed as pages are: each made unless its key is the one
    in `published`. `earlier` reads a published file, for an edit whose `revised` entries
    kept their places (`resident`): articles.json is made from the published one."""

    def articles(path: str) -> bytes:
        return export.articles_json(site, earlier(path) if earlier else None, revised)

    made = (("data/articles.json", {"entries": site.entries}, articles),
            ("data/claims.csv", {"ledgers": site.ledgers}, lambda _: export.claims_csv(site)))
    for name, context, make in made:
        path = site.urls.file(name).output
        key = keys_of.page(f"export:{name}", path, context)
        data = None if published.get(path) == key else make(path)
        yield Output(path, data, key, covered(site, keys_of))


def covered(site: Site, keys_of: pagekeys.Keys) -> array[int]:
    """The ranks of the entries the last key of `keys_of` covered (`Output.covers`)."""
    return array("i", set(map(site.order.__getitem__, keys_of.covered())))


def _changed_pages(site: Site, listed: list[Page], shared: Globals, keys_of: pagekeys.Keys,
                   published: Mapping[str, str]) -> Iterator[Output]:
    """All keys are made first (on every core), as few pages are usually left to render:
    the worker processes then get only those."""

    def page_key(index: int) -> tuple[str, array[int]]:
        page = listed[index]
        key = keys_of.page(page.template, page.route.output, page.context())
        return key, covered(site, keys_of)

    keys = list(parallel.ordered_map(page_key, list(range(len(listed))), chunk=512))
    stale = [index for index, page in enumerate(listed)
             if published.get(page.route.output) != keys[index][0]]

    def render_one(index: int) -> bytes:
        return shared.render(listed[index])

    rendered = parallel.ordered_map(render_one, stale)  # in the order of `stale`
    to_render = set(stale)
    for index, page in enumerate(listed):
        data = next(rendered) if index in to_render else None
        yield Output(page.route.output, data, *keys[index])


def _every_page(site: Site, listed: list[Page], shared: Globals, keys_of: pagekeys.Keys,
                ) -> Iterator[Output]:
    """With nothing published, each page's key and text come from one context, made
    once: the first pages are written, and their search part indexed, a key pass sooner."""

    def keyed_page(index: int) -> tuple[str, bytes, array[int]]:
        page = listed[index]
        context = page.context()
        key = keys_of.page(page.template, page.route.output, context)
        return key, shared.render(page, context), covered(site, keys_of)

    done = parallel.ordered_map(keyed_page, list(range(len(listed))))
    for page, (key, data, covers) in zip(listed, done, strict=True):
        yield Output(page.route.output, data, key, covers)


def count(site: Site) -> int:
    """How many outputs `render_site` yields, for progress reports."""
    return sum(1 for _ in pages(site)) + 4


def pages(site: Site, related: Mapping[Entry, Sequence[Entry]] | None = None,
          ) -> Iterator[Page]:
    """Every page and feed, in a stable order."""
    settings = site.settings
    yield Page(site.urls.home(), "home.html", lambda: {
        "latest": site.entries[: settings.home_articles],
        "most_covered": {kind: site.most_covered(kind, settings.home_terms) for kind in KINDS}})
    for entry in site.entries:
        yield article_page(site, entry, related)
    for kind in KINDS:
        yield Page(site.urls.term_index(kind), "terms.html", functools.partial(
            _terms_context, site, kind))
        for term in site.terms(kind):
            yield from _term_pages(site, term)
    yield from _archive_pages(site)
    yield from _provenance_pages(site)
    yield Page(site.urls.search(), "search.html", lambda: {"bundles": site.search_bundles()})
    yield Page(site.urls.file("404.html"), "404.html", dict)
    yield _feed(site, site.urls.feed(), site.urls.home(), site.settings.title, site.entries)
    for kind in KINDS:
        for term in site.terms(kind):
            if site.coverage[term]:
                yield _feed(site, site.term_feed(term), site.term_route(term), term.name,
                            site.coverage[term])


def _archive_pages(site: Site) -> Iterator[Page]:
    """By date: the years, each year's months with their counts, each month's articles in
    pages of `per_page`, so that no page grows with the archive."""
    tallies = _tallies(site)
    yield Page(site.urls.archive(), "archive.html", lambda: {"years": tallies})
    for (year, months), in_year in zip(tallies, site.archive, strict=True):
        yield Page(year.route, "year.html", functools.partial(dict, year=year, months=months))
        for tally, month in zip(months, in_year.months, strict=True):
            for pager, entries in _paged(site, month.entries, functools.partial(
                    site.urls.archive, month.year, month.month)):
                yield Page(pager.route, "month.html", functools.partial(
                    dict, year=month.year, month=tally, entries=entries, pager=pager))


@dataclass(frozen=True, slots=True)
class Tally:
    """A year, a month or an outlet as a page lists it: its name (a number for a year or
    a month), its page and its count of articles; not the articles, so that editing one
    changes no key of a page that only counts it."""

    name: int | str
    route: Route
    count: int


def _tallies(site: Site) -> list[tuple[Tally, tuple[Tally, ...]]]:
    return [(Tally(year.year, year.route, year.count),
             tuple(Tally(m.month, m.route, len(m.entries)) for m in year.months))
            for year in site.archive]


def _provenance_pages(site: Site) -> Iterator[Page]:
    """Where the coverage comes from: outlets, corrections, claims, and how it is curated."""
    yield Page(site.urls.sources(), "sources.html", lambda: {"outlets": [
        Tally(outlet.name, outlet.route, len(outlet.entries)) for outlet in site.outlets]})
    for outlet in site.outlets:
        for pager, entries in _paged(site, outlet.entries, functools.partial(
                site.urls.sources, outlet_slug(outlet.name))):
            yield Page(pager.route, "outlet.html", functools.partial(
                dict, name=outlet.name, total=len(outlet.entries), entries=entries,
                pager=pager))
    yield Page(site.urls.updates(), "updates.html",
               lambda: {"updates": site.recent_updates(200)})
    if site.about_html is not None:
        yield Page(site.urls.about(), "about.html", dict)
    yield Page(site.urls.claims(), "claims.html", lambda: {"ledgers": site.ledgers})
    for ledger in site.ledgers:
        yield Page(ledger.route, "claim.html", functools.partial(_ledger_context, ledger))


def article_page(site: Site, entry: Entry,
                 related: Mapping[Entry, Sequence[Entry]] | None) -> Page:
    return Page(entry.route, "article.html", functools.partial(
        _article_context, site, entry, related))


def _article_context(site: Site, entry: Entry, related: Mapping[Entry, Sequence[Entry]] | None,
                     ) -> dict[str, Any]:
    older, newer = site.neighbours(entry)
    others = (related[entry] if related is not None
              else site.related(entry, site.settings.related_articles))
    return {"entry": entry, "body": Body(entry.article), "related": others, "older": older,
            "newer": newer, "claims": site.claims_in(entry)}


def _terms_context(site: Site, kind: str) -> dict[str, Any]:
    return {"kind": kind, "terms": [(t, len(site.coverage[t])) for t in site.terms(kind)]}


def _ledger_context(ledger: Ledger) -> dict[str, Any]:
    points = [(r.claimant, r.claim.as_of, r.claim.value) for r in ledger.rows]
    return {"ledger": ledger, "chart": line_chart(points)}


def _feed(site: Site, route: Route, page: Route, title: str,
          entries: tuple[Entry, ...]) -> Page:
    return Page(route, "feed.xml", functools.partial(_feed_context, site, title, entries,
                                                     page.url))


def _feed_context(site: Site, title: str, entries: tuple[Entry, ...],
                  page_url: str) -> dict[str, Any]:
    latest = entries[: site.settings.feed_articles]
    updated = max((e.last_changed for e in latest), default=None)
    return {"feed_title": title, "entries": latest, "updated": updated, "page_url": page_url}


def _term_pages(site: Site, term: Term) -> Iterator[Page]:
    shared = functools.cache(lambda: _term_shared(site, term))
    for pager, entries in _paged(site, site.coverage[term],
                                 functools.partial(site.term_route, term)):
        yield Page(pager.route, "term.html", functools.partial(
            _term_context, site, term, entries, pager, shared))


def _paged(site: Site, entries: tuple[Entry, ...], route: Callable[[int], Route],
           ) -> Iterator[tuple[Pager, tuple[Entry, ...]]]:
    """A listing in pages of `per_page` articles (one page, empty, for none); `route`
    gives page N's address."""
    size = site.settings.per_page
    routes = [route(number) for number in range(1, max(1, -(-len(entries) // size)) + 1)]
    count = len(routes)
    for number, here in enumerate(routes, 1):
        pager = Pager(number, count, here, routes[number - 2] if number > 1 else None,
                      routes[number] if number < count else None)
        yield pager, entries[(number - 1) * size : number * size]


def _term_shared(site: Site, term: Term) -> dict[str, Any]:
    """What every page of a term shows alike, worked out once per term."""
    ancestors = site.ancestors(term) if term.kind == "places" else []
    return {
        "total": len(site.coverage[term]),
        "ancestors": [(place, site.has_page(place)) for place in ancestors],
        "within_here": [(place, len(site.coverage[place]))
                        for place in site.sub_places.get(term, ())],
        "made": site.claims_by.get(term, ()),
        "co_terms": site.co_terms(term, site.settings.co_terms),
    }


def _term_context(site: Site, term: Term, entries: tuple[Entry, ...], pager: Pager,
                  shared: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    below = site.sub_coverage(term, site.settings.per_page) if pager.number == 1 else []
    return {"term": term, "entries": entries, "pager": pager, "below": below, **shared()}
