"""`Site` + Jinja2 templates to a stream of `Output`s. Reads no files, holds no pages."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import export, markdown, parallel, structured
from .chart import format_number, line_chart
from .model import Entry, Ledger, Site
from .registries import KINDS, SINGULAR, Term
from .urls import Route


@dataclass(frozen=True, slots=True)
class Output:
    path: str
    """Relative to the output folder; decided by a `Route`."""
    data: bytes


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    count: int
    route: Route
    previous: Route | None
    next: Route | None


def environment(templates: Mapping[str, str], live_reload: str | None = None) -> Environment:
    env = Environment(loader=DictLoader(dict(templates)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "xml"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(markdown=_markdown, long_date=_long_date, iso=_iso, number=_number,
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


def render_site(site: Site, templates: Mapping[str, str],
                live_reload: str | None = None) -> Iterator[Output]:
    env = environment(templates, live_reload)
    listed = list(pages(site))

    def render_one(index: int) -> Output:
        page = listed[index]
        text = env.get_template(page.template).render(site=site, route=page.route,
                                                      **page.context())
        return Output(page.route.output, text.encode())

    yield from parallel.ordered_map(render_one, list(range(len(listed))))
    sitemap = [p.route for p in listed if p.template.endswith(".html") and p.template != "404.html"]
    sitemap_route = site.urls.file("sitemap.xml")
    yield Output(sitemap_route.output,
                 env.get_template("sitemap.xml").render(routes=sitemap).encode())
    robots = f"User-agent: *\nAllow: /\nSitemap: {sitemap_route.url}\n"
    yield Output(site.urls.file("robots.txt").output, robots.encode())
    yield Output(site.urls.file("data/articles.json").output, export.articles_json(site))
    yield Output(site.urls.file("data/claims.csv").output, export.claims_csv(site))


def count(site: Site) -> int:
    """How many outputs `render_site` yields, for progress reports."""
    return sum(1 for _ in pages(site)) + 4


def pages(site: Site) -> Iterator[Page]:
    """Every page and feed, in a stable order."""
    settings = site.settings
    yield Page(site.urls.home(), "home.html",
               lambda: {"latest": site.entries[: settings.home_articles]})
    for entry in site.entries:
        yield Page(entry.route, "article.html", functools.partial(_article_context, site, entry))
    for kind in KINDS:
        yield Page(site.urls.term_index(kind), "terms.html", functools.partial(dict, kind=kind))
        for term in site.terms(kind):
            yield from _term_pages(site, term)
    yield from _archive_pages(site)
    yield from _provenance_pages(site)
    yield Page(site.urls.search(), "search.html", dict)
    yield Page(site.urls.file("404.html"), "404.html", dict)
    yield _feed(site, site.urls.feed(), site.urls.home(), site.settings.title, site.entries)
    for kind in KINDS:
        for term in site.terms(kind):
            if site.coverage[term]:
                yield _feed(site, site.term_feed(term), site.term_route(term), term.name,
                            site.coverage[term])


def _archive_pages(site: Site) -> Iterator[Page]:
    yield Page(site.urls.archive(), "archive.html", dict)
    for year in site.archive:
        yield Page(year.route, "year.html", functools.partial(dict, year=year))
        for month in year.months:
            yield Page(month.route, "month.html", functools.partial(dict, year=year, month=month))


def _provenance_pages(site: Site) -> Iterator[Page]:
    """Where the coverage comes from: outlets, corrections, claims, and how it is curated."""
    yield Page(site.urls.sources(), "sources.html", dict)
    for outlet in site.outlets:
        yield Page(outlet.route, "outlet.html", functools.partial(dict, outlet=outlet))
    yield Page(site.urls.updates(), "updates.html", dict)
    if site.about_html is not None:
        yield Page(site.urls.about(), "about.html", dict)
    yield Page(site.urls.claims(), "claims.html", dict)
    for ledger in site.ledgers:
        yield Page(ledger.route, "claim.html", functools.partial(_ledger_context, ledger))


def _article_context(site: Site, entry: Entry) -> dict[str, Any]:
    older, newer = site.neighbours(entry)
    return {"entry": entry, "related": site.related(entry, site.settings.related_articles),
            "older": older, "newer": newer,
            "jsonld": structured.script_json(structured.news_article(site, entry))}


def _ledger_context(ledger: Ledger) -> dict[str, Any]:
    points = [(r.claimant, r.claim.as_of, r.claim.value) for r in ledger.rows]
    return {"ledger": ledger, "chart": line_chart(points)}


def _feed(site: Site, route: Route, page: Route, title: str,
          entries: tuple[Entry, ...]) -> Page:
    latest = entries[: site.settings.feed_articles]
    updated = max((e.last_changed for e in latest), default=None)
    return Page(route, "feed.xml", functools.partial(dict, feed_title=title, entries=latest,
                                                     updated=updated, page_url=page.url))


def _term_pages(site: Site, term: Term) -> Iterator[Page]:
    entries = site.coverage[term]
    size = site.settings.per_page
    count = max(1, -(-len(entries) // size))
    co_terms = functools.cache(lambda: site.co_terms(term, site.settings.co_terms))
    for number in range(1, count + 1):
        pager = Pager(number, count, site.term_route(term, number),
                      site.term_route(term, number - 1) if number > 1 else None,
                      site.term_route(term, number + 1) if number < count else None)
        page_entries = entries[(number - 1) * size : number * size]
        yield Page(pager.route, "term.html", functools.partial(
            _term_context, term, page_entries, pager, co_terms))


def _term_context(term: Term, entries: tuple[Entry, ...], pager: Pager,
                  co_terms: Callable[[], list[tuple[Term, int]]]) -> dict[str, Any]:
    return {"term": term, "entries": entries, "pager": pager, "co_terms": co_terms()}
