"""The archive as data for researchers: /data/articles.json and /data/claims.csv.

The schemas are documented in docs/data.md; a field is only ever added, never renamed.
Ordering is stable: articles newest first (then by slug), claims by subject, date, claimant.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .model import Entry, Site
from .structured import escaped_json

ARTICLES_SCHEMA = "warchive-articles/1"
CLAIM_COLUMNS = ("subject", "subject_label", "unit", "value", "wording", "claimed_by",
                 "claimant", "kind", "via", "as_of", "article_url", "article_title",
                 "article_date", "source")


def articles_json(site: Site) -> bytes:
    document = {"schema": ARTICLES_SCHEMA, "site": site.urls.home().url,
                "articles": [_article(entry) for entry in site.entries]}
    return (escaped_json(document) + "\n").encode()


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
