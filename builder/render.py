"""`Site` + Jinja2 templates to a stream of `Output`s. Reads no files, holds no pages."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import markdown
from .model import Entry, Site
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
                       month_name=_month_name)
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
        return value.isoformat()
    return f"{value.isoformat()}T00:00:00Z"


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) or not value % 1 else f"{value:,.2f}"


def _month_name(month: int) -> str:
    return dt.date(2000, month, 1).strftime("%B")


def render_site(site: Site, templates: Mapping[str, str],
                live_reload: str | None = None) -> Iterator[Output]:
    env = environment(templates, live_reload)
    sitemap: list[Route] = []
    for route, template, context in pages(site):
        if route.output.endswith(".html") and route.output != "404.html":
            sitemap.append(route)
        html = env.get_template(template).render(site=site, route=route, **context)
        yield Output(route.output, html.encode())
    feeds = [(site.urls.feed(), site.settings.title, site.entries)]
    feeds += [(site.term_feed(t), t.name, site.coverage[t]) for k in KINDS for t in site.terms(k)]
    for route, title, entries in feeds:
        xml = env.get_template("feed.xml").render(site=site, route=route, feed_title=title,
                                                  entries=entries[: site.settings.feed_articles])
        yield Output(route.output, xml.encode())
    sitemap_route = site.urls.file("sitemap.xml")
    yield Output(sitemap_route.output,
                 env.get_template("sitemap.xml").render(routes=sitemap).encode())
    robots = f"User-agent: *\nAllow: /\nSitemap: {sitemap_route.url}\n"
    yield Output(site.urls.file("robots.txt").output, robots.encode())


Page = tuple[Route, str, dict[str, Any]]


def pages(site: Site) -> Iterator[Page]:
    """Every HTML page: its route, its template and what the template is given."""
    settings = site.settings
    yield site.urls.home(), "home.html", {"latest": site.entries[: settings.home_articles]}
    for entry in site.entries:
        yield entry.route, "article.html", {
            "entry": entry, "related": site.related(entry, settings.related_articles)}
    for kind in KINDS:
        yield site.urls.term_index(kind), "terms.html", {"kind": kind}
        for term in site.terms(kind):
            yield from _term_pages(site, term)
    yield site.urls.archive(), "archive.html", {}
    for year in site.archive:
        yield year.route, "year.html", {"year": year}
        for month in year.months:
            yield month.route, "month.html", {"year": year, "month": month}
    yield site.urls.search(), "search.html", {}
    yield site.urls.file("404.html"), "404.html", {}


def _term_pages(site: Site, term: Term) -> Iterator[Page]:
    entries = site.coverage[term]
    size = site.settings.per_page
    count = max(1, -(-len(entries) // size))
    route_of: Callable[[int], Route] = lambda n: site.term_route(term, n)  # noqa: E731
    co_terms = site.co_terms(term, site.settings.co_terms)
    parent = site.registries["places"].find(term.within) if term.within else None
    within = parent if parent is not None and site.coverage.get(parent) else None
    for number in range(1, count + 1):
        pager = Pager(number, count, route_of(number),
                      route_of(number - 1) if number > 1 else None,
                      route_of(number + 1) if number < count else None)
        page_entries: tuple[Entry, ...] = entries[(number - 1) * size : number * size]
        yield pager.route, "term.html", {"term": term, "entries": page_entries, "pager": pager,
                                         "co_terms": co_terms, "within": within}
