"""The archive as data for researchers: /data/articles.json and /data/claims.csv.

The schemas are documented in docs/data.md; a field is only ever added, never renamed.
Ordering is stable: articles newest first (then by slug), claims by subject, date, claimant.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from typing import Any

from .model import Entry, Site
from .structured import escaped_json

ARTICLES_SCHEMA = "warchive-articles/1"
CLAIM_COLUMNS = ("subject", "subject_label", "unit", "value", "wording", "claimed_by",
                 "claimant", "kind", "via", "as_of", "article_url", "article_title",
                 "article_date", "source")


_ARTICLES_OPEN = '{"articles":[\n'
_BETWEEN = ",\n"
"""Each article is a line of its own (JSON text holds no raw line break), so that a file
made before an edit gives every other article's line as it is (`articles_json`)."""


def articles_json(site: Site, earlier: bytes | None = None,
                  revised: Collection[Entry] = ()) -> bytes:
    """The document, its keys in order as `escaped_json` puts them. `earlier` is the file
    made for the site before the `revised` entries took new versions of their articles,
    which kept their places (`resident`): only their lines are made again, as an edit's
    build would otherwise spend 0.13 s at 10k articles on the others'."""
    lines = _lines(earlier, len(site.entries)) if earlier is not None else None
    if lines is None:
        lines = [escaped_json(_article(entry)) for entry in site.entries]
    else:
        for entry in revised:
            lines[site.order[entry]] = escaped_json(_article(entry))
    rest = escaped_json({"schema": ARTICLES_SCHEMA, "site": site.urls.home().url})
    return f"{_ARTICLES_OPEN}{_BETWEEN.join(lines)}\n],{rest[1:]}\n".encode()


def _lines(earlier: bytes, count: int) -> list[str] | None:
    """The article lines of a file `articles_json` made, if it has `count` of them."""
    text = earlier.decode("utf-8", errors="replace")
    if not text.startswith(_ARTICLES_OPEN):
        return None
    body = text[len(_ARTICLES_OPEN) : text.rfind("\n],")]
    lines = body.split(_BETWEEN) if body else []
    return lines if len(lines) == count else None


def _article(entry: Entry) -> dict[str, Any]:
    article, source = entry.article, entry.article.source
    return {
        "url": entry.route.url, "slug": article.slug, "title": article.title,
        "date": article.published.isoformat(), "lang": entry.lang,
        "summary": article.summary, "content_warning": article.content_warning,
        "source": {"name": source.name, "url": source.url, "author": source.author,
                   "archived_url": source.archived_url, "url_status": source.url_status,
                   "retrieved": source.retrieved.isoformat() if source.retrieved else None},
        "people": [t.name for t in entry.people], "places": [t.name for t in entry.places],
        "topics": [t.name for t in entry.topics],
        "updates": [{"date": u.date.isoformat(), "note": u.note} for u in article.updates],
    }


def _cell(text: str) -> str:
    """Text a spreadsheet would take for a formula (=, +, -, @) is quoted with a leading '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def claims_csv(site: Site) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CLAIM_COLUMNS)
    for ledger in sorted(site.ledgers, key=lambda ledger: ledger.subject.slug):
        subject = ledger.subject
        for row in ledger.rows:
            claim, article = row.claim, row.entry.article
            texts = [subject.label, subject.unit, claim.wording or "", claim.claimed_by,
                     row.claimant, claim.via or "", article.title, article.source.name]
            label, unit, wording, claimed_by, claimant, via, title, source = map(_cell, texts)
            writer.writerow([subject.slug, label, unit, claim.value, wording, claimed_by,
                             claimant, claim.kind, via, claim.as_of.isoformat(),
                             row.entry.route.url, title, article.published.isoformat(), source])
    return buffer.getvalue().encode()
