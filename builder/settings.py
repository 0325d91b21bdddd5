"""`content/site.yaml`: every setting typed, defaulted and documented; unknown keys are errors."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .fields import Fields
from .frontmatter import YMap
from .problems import Problem


@dataclass(frozen=True, slots=True)
class Settings:
    title: str = "War Archive"
    """The site's name, shown in every page header and in feeds."""
    description: str = "A curated archive of war coverage, with its sources."
    """One sentence for the home page, feeds and search engines."""
    base_url: str = "http://localhost:8000/"
    """Where the site is published; a sub-path (https://example.org/war/) is honoured in links."""
    language: str = "en"
    """Language of the site and default language of articles (a BCP 47 tag such as en or uk)."""
    per_page: int = 20
    """Articles listed on one page of a term, a month or an outlet before it continues
    on /page/2/."""
    home_articles: int = 15
    """Latest articles on the home page."""
    home_terms: int = 10
    """People, places and topics listed on the home page, most covered first."""
    feed_articles: int = 20
    """Entries in each Atom feed."""
    related_articles: int = 5
    """Related articles shown under an article."""
    co_terms: int = 8
    """Terms named most often alongside a term, shown on its page."""


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def read_settings(data: Any, path: str) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []
    if data is None:
        return Settings(), problems
    if not isinstance(data, YMap):
        return Settings(), [Problem(path, 1, "site.yaml must be a mapping of settings")]
    read = Fields(data, path, problems)
    read.only(SETTING_NAMES)
    defaults = Settings()
    values: dict[str, Any] = {}
    for name in ("title", "description"):
        values[name] = read.text(name) or getattr(defaults, name)
    base_url = read.url("base_url") or defaults.base_url
    values["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    values["language"] = read.language("language") or defaults.language
    for name in ("per_page", "home_articles", "home_terms", "feed_articles", "related_articles",
                 "co_terms"):
        values[name] = read.integer(name, getattr(defaults, name), minimum=0 if name != "per_page"
                                    else 1)
    return Settings(**values), problems
