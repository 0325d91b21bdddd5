"""articles.json after an edit: the revised articles' lines are made again, every other
line is taken from the file made before, and a file that does not fit is not used."""

from __future__ import annotations

import dataclasses
import json

from builder import export
from builder.model import Site

from .test_model import make
from .test_pagekeys import site_of


def _site() -> Site:
    return site_of(make("a", "2025-01-01"), make("b", "2025-02-01"), make("c", "2024-05-01"))


def test_a_revised_article_is_written_anew_and_the_others_are_taken_as_they_were() -> None:
    site = _site()
    earlier = export.articles_json(site)
    assert earlier.count(b"\n") == len(site.entries) + 2  # a line per article
    entry = site.entries[1]
    entry.article = dataclasses.replace(entry.article, title="Line one,\nline two")
    revised = export.articles_json(site, earlier, [entry])
    assert revised == export.articles_json(site)
    assert json.loads(revised)["articles"][1]["title"] == "Line one,\nline two"
    marked = earlier.replace(b'"title":"c"', b'"title":"kept"')
    assert b'"title":"kept"' in export.articles_json(site, marked, [entry])


def test_a_file_made_for_another_site_is_not_used() -> None:
    site = _site()
    fewer = export.articles_json(site_of(make("a", "2025-01-01")))
    for earlier in (fewer, b"", b"not json", export.articles_json(site)[1:]):
        assert export.articles_json(site, earlier, site.entries[:1]) == \
            export.articles_json(site)
