"""Machine-readable descriptions of an article: JSON-LD NewsArticle and Open Graph data."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from .model import Entry
from .registries import Term
from .settings import Settings
from .urls import Urls


def news_article(settings: Settings, urls: Urls, entry: Entry) -> dict[str, Any]:
    """schema.org NewsArticle: the curated page, based on the original it summarises."""
    article = entry.article
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": description(entry),
        "url": entry.route.url,
        "mainEntityOfPage": entry.route.url,
        "inLanguage": entry.lang,
        "datePublished": article.published.isoformat(),
        "dateModified": (article.updates[-1].date if article.updates
                         else article.published).isoformat(),
        "publisher": {"@type": "Organization", "name": settings.title,
                      "url": urls.home().url},
        "isBasedOn": _original(entry),
        "about": [_thing(t) for t in entry.people + entry.places],
        "keywords": [t.name for t in entry.topics],
    }
    if article.updates:
        data["correction"] = [{"@type": "CorrectionComment", "text": u.note,
                               "datePublished": u.date.isoformat()} for u in article.updates]
    return data


def _original(entry: Entry) -> dict[str, Any]:
    source = entry.article.source
    original: dict[str, Any] = {"@type": "NewsArticle", "headline": entry.article.title,
                                "publisher": {"@type": "Organization", "name": source.name}}
    if source.url:
        original["url"] = source.url
    if source.author:
        original["author"] = {"@type": "Person", "name": source.author}
    if source.archived_url:
        original["archivedAt"] = source.archived_url
    return original


def _thing(term: Term) -> dict[str, Any]:
    thing: dict[str, Any] = {"@type": "Person" if term.kind == "people" else "Place",
                             "name": term.name}
    if term.aliases:
        thing["alternateName"] = list(term.aliases)
    if term.coordinates:
        latitude, longitude = term.coordinates
        thing["geo"] = {"@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude}
    return thing


def description(entry: Entry) -> str:
    """The summary, or only the content warning for graphic material."""
    warning = entry.article.content_warning
    return f"Content warning: {warning}" if warning else entry.article.summary


def escaped_json(data: dict[str, Any]) -> str:
    """JSON with <, > and & escaped: it parses the same, and no '</script>' or '<!--' in
    editor text can close a script element or be sniffed as HTML. Compact, so that `json`
    uses its C encoder: indented, the 10k archive's articles.json took a second to dump."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_json(data: dict[str, Any]) -> Markup:
    return Markup(escaped_json(data))
