"""Every address of the site and the file it is written to, decided here and only here."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from translitua import RussianInternationalPassport, UkrainianKMU, translit

from .cached import Cached

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")


def slugify(text: str) -> str:
    """A readable ASCII slug: Ukrainian (or, where its letters show, Russian) romanised."""
    table = RussianInternationalPassport if _RUSSIAN_ONLY & set(text) else UkrainianKMU
    latin = translit(text, table)
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def is_slug(text: str) -> bool:
    return SLUG_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True, slots=True, order=True)
class Route(Cached):
    """One page or file: the link to it and the file that holds it, made together."""

    output: str
    """Path of the file under the output folder, always relative and inside it."""
    href: str
    """Site-absolute link, including the base URL's sub-path (e.g. '/war/people/')."""
    url: str
    """Absolute URL, for feeds, the sitemap and canonical links."""


@functools.lru_cache(maxsize=65536)
def _page_route(origin: str, base_path: str, segments: tuple[str, ...]) -> Route:
    """Cached: term pages ask for the same few thousand routes again and again."""
    for segment in segments:
        if not is_slug(segment):
            raise ValueError(f"unsafe path segment {segment!r}")
    folder = "/".join(segments)
    if not folder:
        return Route("index.html", base_path, origin + base_path)
    href = f"{base_path}{folder}/"
    return Route(f"{folder}/index.html", href, origin + href)


class Urls:
    """Makes routes for a site whose root is at `base_url` (which may carry a sub-path)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = "/" + parts.path.strip("/") + "/" if parts.path.strip("/") else "/"

    def file(self, relative: str) -> Route:
        href = self.base_path + relative
        return Route(relative, href, self.origin + href)

    def page(self, *segments: str) -> Route:
        return _page_route(self.origin, self.base_path, segments)

    def paged(self, page: int, *segments: str) -> Route:
        return self.page(*segments) if page == 1 else self.page(*segments, "page", str(page))

    def home(self) -> Route:
        return self.page()

    def article(self, slug: str) -> Route:
        return self.page("articles", slug)

    def term_index(self, kind: str) -> Route:
        return self.page(kind)

    def term(self, kind: str, slug: str, page: int = 1) -> Route:
        return self.paged(page, kind, slug)

    def term_feed(self, kind: str, slug: str) -> Route:
        return self.file(f"{kind}/{slug}/feed.xml")

    def archive(self, year: int | None = None, month: int | None = None,
                page: int = 1) -> Route:
        parts = ["archive"]
        if year is not None:
            parts.append(f"{year:04d}")
        if month is not None:
            parts.append(f"{month:02d}")
        return self.paged(page, *parts)

    def claims(self, subject: str | None = None) -> Route:
        return self.page("claims", subject) if subject else self.page("claims")

    def sources(self, outlet: str | None = None, page: int = 1) -> Route:
        return self.paged(page, "sources", outlet) if outlet else self.page("sources")

    def updates(self) -> Route:
        return self.page("updates")

    def about(self) -> Route:
        return self.page("about")

    def search(self) -> Route:
        return self.page("search")

    def feed(self) -> Route:
        return self.file("feed.xml")

    @staticmethod
    def map(coordinates: tuple[float, float]) -> str:
        """The place on OpenStreetMap, marked, at a regional zoom."""
        latitude, longitude = (f"{c:.5f}" for c in coordinates)
        return (f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
                f"#map=9/{latitude}/{longitude}")

    def stylesheet(self) -> Route:
        return self.file("style.css")
