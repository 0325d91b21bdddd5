"""`new` and `import`: start an article for an editor in the right folder, never overwriting."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .registries import KINDS, Registry
from .scraped import parse
from .urls import slugify


class ScaffoldError(Exception):
    """The article cannot be written (it exists, or the title gives no slug)."""


def article_path(site_dir: Path, title: str, date: dt.date) -> Path:
    slug = slugify(title)
    if not slug:
        raise ScaffoldError(f"no slug can be made from the title {title!r}")
    return site_dir / "content" / "articles" / f"{date:%Y}" / f"{date:%m}" / f"{slug}.md"


def write_new(path: Path, text: str) -> Path:
    if path.exists():
        raise ScaffoldError(f"{path} already exists; pick another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _names(names: Iterable[str]) -> str:
    return "[" + ", ".join(_q(n) for n in names) + "]"


@dataclass
class Draft:
    """What an article file starts with; `new` leaves most of it empty, `import` fills it."""

    title: str
    date: dt.date
    date_note: str = "publication date of the original (YYYY-MM-DD)"
    source_name: str = ""
    source_author: str = ""
    terms: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    figures: list[tuple[str, str]] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    """Suggested claims, written as comments for the curator to finish."""
    candidates: list[str] = field(default_factory=list)
    """Capitalised names no registry knows."""
    body: str = "Write the curated account here, in our own words.\n"


def render_draft(draft: Draft) -> str:
    lines = ["---", f"title: {_q(draft.title)}", f"date: {draft.date.isoformat()}"
             f"    # {draft.date_note}",
             'summary: "TODO: one or two sentences in the curator\'s own words."',
             "source:", f"  name: {_q(draft.source_name or 'TODO: the outlet')}",
             "  # url: https://...            # the original (http or https)"]
    lines.append(f"  author: {_q(draft.source_author)}" if draft.source_author
                 else "  # author: ...")
    lines += ["  # archived_url: https://web.archive.org/web/YYYYMMDDhhmmss/https://...",
              f"  # retrieved: {dt.date.today().isoformat()}"]
    for kind in KINDS:
        lines.append(f"{kind}: {_names(draft.terms[kind])}    # names or aliases from "
                     f"content/{kind}.yaml")
    if draft.candidates:
        lines.append("# Names no registry knows yet (add them to a registry, then above): "
                     + ", ".join(draft.candidates))
    lines.append("# curator_note: how the date or anything uncertain was determined")
    lines += _figure_lines(draft.figures) + _claim_lines(draft.claims)
    lines += ["# updates:", "#   - date: YYYY-MM-DD", "#     note: what was corrected",
              "# lang: uk    # only when it differs from the site's language",
              "draft: true", "---", draft.body.rstrip() + "\n"]
    return "\n".join(lines)


def _figure_lines(figures: list[tuple[str, str]]) -> list[str]:
    if not figures:
        return ["# figures:     # photos of the original, described, with their credit",
                "#   - caption: ...", "#     credit: ..."]
    lines = ["figures:"]
    for caption, credit in figures:
        lines += [f"  - caption: {_q(caption)}", f"    credit: {_q(credit)}"]
    return lines


def _claim_lines(claims: list[str]) -> list[str]:
    lines = ["# claims:     # attributed figures; uncomment and complete",
             "#   - subject: russian-military-losses", "#     value: 0",
             "#     claimed_by: who says so", "#     as_of: YYYY-MM-DD",
             "#     wording: the figure as reported"]
    for sentence in claims:
        lines.append(f"#   suggested from: {sentence}")
    return lines


def new_article(site_dir: Path, title: str, date: dt.date) -> Path:
    return write_new(article_path(site_dir, title, date), render_draft(Draft(title, date)))


def mentioned_terms(text: str, registries: dict[str, Registry]) -> dict[str, list[str]]:
    """The canonical name of every registry term whose name or alias occurs in `text`."""
    found: dict[str, list[str]] = {}
    for kind, registry in registries.items():
        names = []
        for term in registry.terms:
            for spelling in (term.name, *term.aliases):
                if re.search(rf"(?<!\w){re.escape(spelling)}(?!\w)", text):
                    names.append(term.name)
                    break
        found[kind] = names
    return found


_NAME_RUN = re.compile(r"\b[A-Z][\w'’-]*[\w](?:[ ]+(?:of[ ]+)?[A-Z][\w'’-]*\w)+"
                       r"|(?<=[a-z,] )[A-Z][a-z]+\w*")
_NOT_NAMES = {"i", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december", "president", "the",
              "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ians|eans|ans)$")


def unknown_names(text: str, registries: dict[str, Registry]) -> list[str]:
    """Capitalised names no registry knows, first seen first, for the curator to consider.

    A run ending in a known name ("US Secretary of Defense Pete Hegseth") is a title
    before a known person, not a new name.
    """
    known = {s for r in registries.values() for s in r.by_name}
    found = []
    for run in _NAME_RUN.findall(text):
        run = re.sub(r"^The ", "", re.sub(r"['’]s$", "", run))
        folded = run.casefold()
        if folded in _NOT_NAMES or folded in known or _DEMONYM.search(folded):
            continue
        if any(folded.endswith(" " + k) for k in known):
            continue
        found.append(run)
    return list(dict.fromkeys(found))


def import_article(site_dir: Path, text: str, registries: dict[str, Registry],
                   today: dt.date) -> Path:
    """A draft from scraped text: boilerplate gone, captions and figures set apart."""
    scraped = parse(text)
    if not scraped.title:
        raise ScaffoldError("the file holds no text")
    whole = "\n".join(scraped.paragraphs + [c for c, _ in scraped.captions])
    draft = Draft(scraped.title, today, date_note="TODO: the original's publication date; "
                  "this is the import date", source_author=scraped.credit_line,
                  terms=mentioned_terms(whole, registries), figures=scraped.captions,
                  claims=scraped.figures, candidates=unknown_names(whole, registries),
                  body=_draft_body(scraped.paragraphs))
    return write_new(article_path(site_dir, scraped.title, today), render_draft(draft))


def _draft_body(paragraphs: list[str]) -> str:
    quoted = "\n>\n".join(f"> {p}" for p in paragraphs)
    return ("TODO: replace the scraped text below with a curated account in our own words,\n"
            "attributed figures and at most short quotations.\n\n"
            f"{quoted}\n")
