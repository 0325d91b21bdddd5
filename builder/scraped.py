"""Raw scraped article text (as copied from a news page or a re-posting blog) to its parts.

Scrapes repeat the headline, carry the blog's own lines ("Source link", the poster's
handle, the comment form) and run photo captions into the text with the agency's credit
at the end. This module tells those apart so the curator starts from the article alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOILERPLATE = re.compile(
    r"^(source link|leave a reply|leave a comment|cancel reply|share this:?|related posts?:?"
    r"|your email address will not be published.*|required fields are marked.*"
    r"|post navigation|like this:?|loading\.\.\.)$", re.IGNORECASE)
HANDLE = re.compile(r"^@?[a-z0-9_.]{3,30}$")
AGENCIES = ("REUTERS", "AP", "AFP", "Getty Images", "EPA", "EPA-EFE", "Anadolu", "Bloomberg",
            "Shutterstock", "ZUMA", "Sipa", "TASS", "Ukrinform", "UNIAN", "NurPhoto",
            "SOPA Images", "Alamy", "Pool", "Courtesy")
CREDIT_LINE = re.compile(r"^with (?:[A-Z][\w.]*\s?)+ wires$|^with wire services$", re.IGNORECASE)
FIGURE = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b(?!(?:19|20)\d\d\b)\d{3,}\b"
                    r"|\b\d+(?:\.\d+)?\s?(?:thousand|million|billion)\b")


@dataclass
class Scraped:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    captions: list[tuple[str, str]] = field(default_factory=list)
    """(caption, credit) pairs."""
    credit_line: str = ""
    """A wire credit such as 'With Post wires'."""
    figures: list[str] = field(default_factory=list)
    """Sentences giving a figure: each a claim to attribute."""


def split_caption(line: str) -> tuple[str, str] | None:
    """('caption.', 'CREDIT') when the line ends in an agency credit after its last sentence."""
    match = re.match(r"^(?P<caption>.+[.!?\"”])\s+(?P<credit>[^.!?]+(?:\.\w+)?)$", line)
    if not match:
        return None
    credit = match["credit"].strip()
    words = credit.replace("/", " ").split()
    is_agency = any(agency in credit for agency in AGENCIES) or (
        credit.upper() == credit and any(ch.isalpha() for ch in credit) and len(words) <= 8)
    return (match["caption"].strip(), credit) if is_agency and len(words) <= 10 else None


def parse(text: str) -> Scraped:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return Scraped("")
    scraped = Scraped(lines[0])
    rest = lines[1:]
    if rest and rest[0] == scraped.title:
        rest = rest[1:]
    for index, line in enumerate(rest):
        _take(scraped, line, is_tail=index >= len(rest) - 6)
    return scraped


def _take(scraped: Scraped, line: str, is_tail: bool) -> None:
    if BOILERPLATE.match(line) or (is_tail and HANDLE.match(line)):
        return
    if CREDIT_LINE.match(line):
        scraped.credit_line = line
        return
    caption = split_caption(line)
    if caption:
        scraped.captions.append(caption)
        return
    scraped.paragraphs.append(line)
    scraped.figures += [s for s in _sentences(line) if FIGURE.search(s)]


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", paragraph) if s.strip()]
