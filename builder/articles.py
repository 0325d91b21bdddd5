"""One article file, `(path, text)`, to an `Article` or the problems that stop it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from dataclasses import dataclass

from . import frontmatter, markdown
from .cached import Cached
from .fields import Fields
from .frontmatter import YMap
from .problems import Problem, did_you_mean
from .urls import is_slug, slugify

ARTICLE_FIELDS = ("title", "date", "summary", "source", "people", "places", "topics", "slug",
                  "lang", "draft", "claims", "updates", "figures", "curator_note",
                  "content_warning")
SOURCE_FIELDS = ("name", "url", "author", "archived_url", "retrieved", "url_status")
URL_STATUSES = ("live", "dead")
_WAYBACK = re.compile(r"/web/(?P<stamp>\d{14})/https?://\S+")
CLAIM_FIELDS = ("subject", "value", "claimed_by", "as_of", "wording", "kind", "via")
CLAIM_KINDS = {
    "reported": "reported",
    "party": "claimed by a party to the war",
    "verified-minimum": "independently verified minimum",
    "estimate": "estimate",
}
"""What a figure is; 'party' marks a belligerent's own claim, never shown as neutral."""
UPDATE_FIELDS = ("date", "note")
FIGURE_FIELDS = ("caption", "credit")


Mention = tuple[str, int]
"""A person, place or topic as the editor wrote it, before it is resolved, and the line it
is on. A plain tuple: the 10k archive has 100,000, and as objects of their own they took
a third of the time to read its articles from a cache."""


@dataclass(frozen=True, slots=True)
class Source(Cached):
    name: str
    url: str | None = None
    author: str | None = None
    archived_url: str | None = None
    """A snapshot of the original, e.g. a web archive copy."""
    retrieved: dt.date | None = None
    url_status: str = "live"
    """'dead' when the original is gone: the archived copy is then shown first."""

    @property
    def archived_on(self) -> dt.date | None:
        """The snapshot's date, read from a Wayback Machine address."""
        match = _WAYBACK.search(self.archived_url or "")
        if not match:
            return None
        stamp = match["stamp"]
        return dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))


@dataclass(frozen=True, slots=True)
class Claim(Cached):
    """An attributed figure: who says how many of what, as of when."""

    subject: str
    value: float | int
    claimed_by: str
    as_of: dt.date
    wording: str | None
    """The figure as reported ('about 11,000'), shown beside the number."""
    line: int
    kind: str = "reported"
    """A key of CLAIM_KINDS."""
    via: str | None = None
    """The outlet the article relays the figure through ('the Kyiv Independent')."""

    @property
    def kind_label(self) -> str:
        return CLAIM_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class Update(Cached):
    date: dt.date
    note: str


@dataclass(frozen=True, slots=True)
class Figure(Cached):
    """A photo of the original, described in words with its credit (no image is kept)."""

    caption: str
    credit: str | None


@dataclass(frozen=True, slots=True)
class Article(Cached):
    path: str
    digest: str
    """Of the file's text (`digest`): what caches know this version by."""
    head_digest: str
    """Of its front matter, which is all of the article but its body: what page keys know
    it by (`pagekeys`), so a body edit renders only the pages that show the body."""
    slug: str
    slug_line: int
    title: str
    published: dt.date
    """Publication date of the original; a datetime when the editor gave a time."""
    summary: str
    source: Source
    people: tuple[Mention, ...]
    places: tuple[Mention, ...]
    topics: tuple[Mention, ...]
    lang: str | None
    """None means the site's language."""
    draft: bool
    claims: tuple[Claim, ...]
    updates: tuple[Update, ...]
    figures: tuple[Figure, ...]
    curator_note: str | None
    content_warning: str | None
    """Shown before the body; such a body stays out of excerpts, feeds and search snippets."""
    body_zip: bytes
    """The Markdown body rendered once, here (so a cached parse skips Markdown too), and
    kept deflated: bodies are most of a parsed archive's memory (1 GB at 100k articles).
    Pages show it through a `model.Body` in their context, never from here."""

    @property
    def day(self) -> dt.date:
        published = self.published
        return published.date() if isinstance(published, dt.datetime) else published


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def parse_article(path: str, text: str, file_stem: str) -> tuple[Article | None, list[Problem]]:
    if not text.strip():
        return None, [Problem(path, 1, "the file is empty",
                              "an article starts with front matter; `warchive new` writes one")]
    parts = frontmatter.split(frontmatter.normalise(text), path)
    if isinstance(parts, Problem):
        return None, [parts]
    data, problems = frontmatter.load(parts.yaml_text, path, parts.yaml_first_line)
    if data is None and problems:
        return None, problems  # the YAML did not parse: nothing more can be checked
    if not isinstance(data, YMap):
        return None, problems or [Problem(path, 2, "the front matter must be a mapping of fields")]
    read = Fields(data, path, problems)
    read.only(ARTICLE_FIELDS)
    article = _article(read, file_stem, parts, digest(text))
    stopped = any(not p.warning for p in problems)
    return (None if stopped else article), problems


def _article(read: Fields, file_stem: str, parts: frontmatter.Split,
             text_digest: str) -> Article | None:
    title = read.text("title", required=True)
    published = read.date("date", required=True, with_time=True)
    summary = read.text("summary", required=True)
    source = _source(read)
    slug = _slug(read, file_stem)
    # Every field is read before any verdict, so one mistake never hides another.
    people, places, topics = (_mentions(read, kind) for kind in ("people", "places", "topics"))
    lang, draft = read.language("lang"), read.boolean("draft", False)
    claims, updates, figures = _claims(read), _updates(read), _figures(read)
    note, warning = read.text("curator_note"), read.text("content_warning")
    if None in (title, published, summary, source, slug):
        return None
    assert title and published and summary and source and slug
    return Article(
        path=read.path, digest=text_digest, head_digest=digest(parts.yaml_text), slug=slug,
        slug_line=read.mapping.line_of("slug"), title=title, published=published,
        summary=summary, source=source, people=people, places=places, topics=topics,
        lang=lang, draft=draft, claims=claims, updates=updates, figures=figures,
        curator_note=note, content_warning=warning,
        body_zip=zlib.compress(markdown.render(parts.body).encode(), 6))


def _slug(read: Fields, file_stem: str) -> str | None:
    given = read.text("slug")
    if given is None:
        slug = file_stem if is_slug(file_stem) else slugify(file_stem)
        if not slug:
            read.problem("title", f"no slug can be made from the file name {file_stem!r}",
                         "add a 'slug:' field")
            return None
        return slug
    if not is_slug(given):
        read.problem("slug", f"slug {given!r} may hold only a-z, 0-9 and single hyphens",
                     f"for example {slugify(given) or 'my-article'!r}")
        return None
    return given


def _source(read: Fields) -> Source | None:
    mapping = read.mapping_of("source", required=True)
    if mapping is None:
        return None
    sub = Fields(mapping, read.path, read.problems, "source: ")
    sub.only(SOURCE_FIELDS)
    name = sub.text("name", required=True)
    url, archived = sub.url("url"), _archived_url(sub)
    status = sub.text("url_status") or "live"
    if status not in URL_STATUSES:
        sub.problem("url_status", f"url_status must be live or dead, not {status!r}")
    if name is None:
        return None
    if url is None and archived is None and "url" not in mapping and "archived_url" not in mapping:
        read.problems.append(Problem(read.path, mapping.line, "source: neither 'url' nor "
                                     "'archived_url': readers cannot check this article",
                                     "add the original's address, or an archived copy",
                                     warning=True))
    return Source(name, url, sub.text("author"), archived, sub.date("retrieved"),
                  status if status in URL_STATUSES else "live")


def _archived_url(sub: Fields) -> str | None:
    """An archived copy must be one snapshot: for the Wayback Machine, its 14-digit form."""
    url = sub.url("archived_url")
    if url is None or "web.archive.org" not in url:
        return url
    if "/save/" in url or "*" in url or not _WAYBACK.search(url):
        sub.problem("archived_url", "archived_url must name one Wayback Machine snapshot, "
                    "like https://web.archive.org/web/20250208123456/https://...",
                    "open the snapshot and copy its address; /save/ and * addresses change")
        return None
    return url


def _mentions(read: Fields, key: str) -> tuple[Mention, ...]:
    return tuple(read.texts(key))


def _claims(read: Fields) -> tuple[Claim, ...]:
    claims = []
    for item in read.mappings("claims"):
        sub = Fields(item, read.path, read.problems, "claim: ")
        sub.only(CLAIM_FIELDS)
        subject, value = sub.text("subject", required=True), sub.number("value", required=True)
        claimed_by, as_of = sub.text("claimed_by", required=True), sub.date("as_of", required=True)
        if subject is not None and not is_slug(subject):
            sub.problem("subject", f"subject {subject!r} may hold only a-z, 0-9 and hyphens")
            continue
        kind = sub.text("kind") or "reported"
        if kind not in CLAIM_KINDS:
            sub.problem("kind", f"claim kind {kind!r} is not one of {', '.join(CLAIM_KINDS)}",
                        did_you_mean(kind, CLAIM_KINDS))
            continue
        if subject and value is not None and claimed_by and as_of:
            claims.append(Claim(subject, value, claimed_by, as_of, sub.text("wording"), item.line,
                                kind, sub.text("via")))
    return tuple(claims)


def _updates(read: Fields) -> tuple[Update, ...]:
    updates = []
    for item in read.mappings("updates"):
        sub = Fields(item, read.path, read.problems, "update: ")
        sub.only(UPDATE_FIELDS)
        date, note = sub.date("date", required=True), sub.text("note", required=True)
        if date and note:
            updates.append(Update(date, note))
    return tuple(sorted(updates, key=lambda u: u.date))


def _figures(read: Fields) -> tuple[Figure, ...]:
    figures = []
    for item in read.mappings("figures"):
        sub = Fields(item, read.path, read.problems, "figure: ")
        sub.only(FIGURE_FIELDS)
        caption = sub.text("caption", required=True)
        if caption:
            figures.append(Figure(caption, sub.text("credit")))
    return tuple(figures)
