"""Coverage you can trust (issue 6), end to end on tiny inline sites.

Claims ledger, provenance and its warnings, corrections, content warnings, the about page,
the place hierarchy, prev/next, related coverage, JSON-LD and the data exports. Pages are
parsed with `html.parser` into a small tree; expected values come from the content the
tests write, never from the builder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from builder import pipeline, search
from builder.cache import CACHE_DIR
from builder.cli import main

from .conftest import MakeSite, article, write_site

BASE = "https://example.org"

# --------------------------------------------------------------------------- HTML tree

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This node and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    @property
    def raw(self) -> str:
        return "".join(c.raw if isinstance(c, Node) else c for c in self.children)

    @property
    def text(self) -> str:
        return " ".join(self.raw.split())

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def has(self, name: str) -> bool:
        return name in self.attrs

    def matches(self, tag: str | None, attrs: dict[str, str | bool]) -> bool:
        if tag is not None and self.tag != tag:
            return False
        for key, wanted in attrs.items():
            if key == "class_":
                if wanted not in self.classes:
                    return False
            elif wanted is True:
                if key.replace("_", "-") not in self.attrs:
                    return False
            elif self.attrs.get(key.replace("_", "-")) != wanted:
                return False
        return True

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Node]:
        return [n for n in self.iter() if n is not self and n.matches(tag, attrs)]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}> in <{self.tag} {self.attrs}>"
        return found[0]

    def maybe(self, tag: str | None = None, **attrs: str | bool) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def section(self, heading_id: str) -> Node:
        """The element labelled by the heading with this id."""
        return self.find(aria_labelledby=heading_id)

    def links(self) -> list[tuple[str, str]]:
        return [(a.attrs.get("href") or "", a.text) for a in self.find_all("a")]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def page(site: Path, address: str, out: str = "public") -> Node:
    """The parsed page published at `address` ('articles/x/' or '' for home)."""
    return parse_html((site / out / address / "index.html").read_text("utf-8"))


def main_of(doc: Node) -> Node:
    return doc.find("main")


def jsonld(doc: Node) -> dict[str, Any]:
    (script,) = doc.find_all("script", type="application/ld+json")
    data: dict[str, Any] = json.loads(script.raw)
    return data


def meta(doc: Node, **attrs: str) -> str:
    return doc.find("meta", **attrs).attrs.get("content") or ""


def index_in(doc: Node, node: Node) -> int:
    return next(i for i, n in enumerate(doc.iter()) if n is node)


# --------------------------------------------------------------------------- content


def nested(text: str) -> str:
    """A YAML block nested under a front-matter key (for `article(**fields)`)."""
    return "\n" + textwrap.indent(textwrap.dedent(text).strip("\n"), "  ")


def line_of(text: str, start: str, occurrence: int = 1) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    assert len(found) >= occurrence, f"test bug: no line starting with {start!r}"
    return found[occurrence - 1]


PEOPLE = """\
- name: Volodymyr Zelensky
  aliases: [Zelensky, Zelenskyy, Зеленський]
  description: President of Ukraine.
- name: Oleksandr Syrskyi
  aliases: [Олександр Сирський]
"""
PLACES = """\
- name: Ukraine
- name: Russia
- name: Kursk Oblast
  aliases: [Kursk]
  within: Russia
  coordinates: [51.7, 36.19]
- name: Sudzha
  within: Kursk Oblast
  coordinates: [51.19, 35.27]
"""
TOPICS = """\
- name: casualties
- name: North Korean troops
- name: prisoners
"""
CLAIMS = """\
- slug: russian-military-losses
  label: Russian military losses
  unit: personnel
  description: Killed, wounded and captured, as claimed.
- slug: north-korean-troops
  label: North Korean troops in Kursk
  unit: soldiers
"""
GENERAL_STAFF = "General Staff of the Armed Forces of Ukraine"
HOSTILE = 'Hostile </script><script>alert(1)</script> <!-- & "q" -->'
SUMMARY_SECRET = "SECRETSUMMARY of the graphic piece."
BODY_SECRET = "GRAPHICBODY describes the scene."
WARNING = "Descriptions of killed soldiers."

ARTICLES = {
    "content/articles/2024/sudzha-raid.md": article(
        "Ukraine strikes into Sudzha", "2024-08-10",
        people="[Олександр Сирський]", places="[Sudzha]", topics="[casualties]",
        source=nested("""
            name: Kyiv Independent
            url: https://kyivindependent.com/sudzha
            author: Jane Doe
            archived_url: https://web.archive.org/web/20240811093000/https://kyivindependent.com/sudzha
            retrieved: 2024-08-12
        """),
        claims=nested("""
            - subject: russian-military-losses
              value: 590000
              claimed_by: General Staff of the Armed Forces of Ukraine
              as_of: 2024-08-10
              wording: about 590,000
              kind: party
              via: the Kyiv Independent
        """),
        updates=nested("""
            - date: 2024-09-01
              note: Added the archived copy.
        """)),
    "content/articles/2024/kursk-troops.md": article(
        "North Korean troops arrive in Kursk", "2024-12-01",
        people="[Zelenskyy]", places="[Kursk, Ukraine]", topics="[North Korean troops]",
        source=nested("""
            name: New York Post
            url: https://nypost.com/kursk-troops
        """),
        claims=nested("""
            - subject: north-korean-troops
              value: 11000
              claimed_by: Zelenskyy
              as_of: 2024-11-30
              wording: about 11,000
              kind: party
            - subject: russian-military-losses
              value: 750000
              claimed_by: General Staff of the Armed Forces of Ukraine
              as_of: 2024-12-01
              kind: party
        """)),
    "content/articles/2025/graphic.md": article(
        "Aftermath of the battle", "2025-01-15", body=BODY_SECRET,
        summary=SUMMARY_SECRET, content_warning=WARNING,
        people="[Zelensky]", places="[Ukraine]", topics="[casualties]",
        source=nested("""
            name: Kyiv Independent
            url: https://kyivindependent.com/aftermath
        """),
        claims=nested("""
            - subject: north-korean-troops
              value: 12000
              claimed_by: Volodymyr Zelensky
              as_of: 2025-01-14
            - subject: north-korean-troops
              value: 11000
              claimed_by: US Department of Defense
              as_of: 2025-01-10
              kind: estimate
            - subject: russian-military-losses
              value: 600000
              claimed_by: UK Ministry of Defence
              as_of: 2024-12-15
              kind: estimate
        """)),
    "content/articles/2025/corrected.md": article(
        "Losses pass 847,000", "2025-02-08",
        people="[Зеленський]", places="[Ukraine]", topics="[North Korean troops]",
        source=nested("""
            name: Reuters
            url: https://reuters.com/gone
            archived_url: https://web.archive.org/web/20250209120000/https://reuters.com/gone
            url_status: dead
        """),
        claims=nested("""
            - subject: russian-military-losses
              value: 847860
              claimed_by: General Staff of the Armed Forces of Ukraine
              as_of: 2025-02-08
              kind: party
            - subject: russian-military-losses
              value: 90000
              claimed_by: Mediazona
              as_of: 2025-02-07
              kind: verified-minimum
              wording: at least 90,000 named
            - subject: north-korean-troops
              value: 11500
              claimed_by: Зеленський
              as_of: 2025-02-07
              kind: party
        """),
        updates=nested("""
            - date: 2025-03-05
              note: Second correction, of the losses.
            - date: 2025-02-10
              note: Corrected the date of the address.
        """)),
    "content/articles/2025/hostile.md": article(
        f"'{HOSTILE}'", "2025-03-01", people="[]", places="[Ukraine]", topics="[prisoners]",
        source=nested("""
            name: New York Post
            url: https://nypost.com/hostile
        """)),
}
SLUGS_BY_DATE = ["sudzha-raid", "kursk-troops", "graphic", "corrected", "hostile"]
"""Oldest first."""
ABOUT = "# Inclusion criteria\n\nWe include coverage that names its sources.\n"


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared site, built once; tests only read it."""
    site = write_site(tmp_path_factory.mktemp("trust") / "site", {
        **ARTICLES, "content/people.yaml": PEOPLE, "content/places.yaml": PLACES,
        "content/topics.yaml": TOPICS, "content/claims.yaml": CLAIMS,
        "content/about.md": ABOUT})
    result = pipeline.build(site, index=False)
    assert result.articles == len(ARTICLES)
    assert result.warnings == []
    return site


def front_matter(site: Path, rel: str) -> dict[str, Any]:
    text = (site / rel).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
    return data


def canonical(registry_yaml: str) -> dict[str, str]:
    """Every name and alias of a registry, casefolded, to the canonical name."""
    names = {}
    for entry in yaml.safe_load(registry_yaml):
        for spelling in [entry["name"], *entry.get("aliases", [])]:
            names[spelling.casefold()] = entry["name"]
    return names


PERSON = canonical(PEOPLE)


def claimant(name: str) -> str:
    return PERSON.get(name.casefold(), name)


def content_claims(site: Path) -> list[dict[str, Any]]:
    """Every claim as the content states it, with the slug of its article."""
    found = []
    for rel in ARTICLES:
        data = front_matter(site, rel)
        for claim in data.get("claims", []):
            found.append({**claim, "slug": Path(rel).stem, "title": data["title"],
                          "article_date": data["date"]})
    return found


def number(value: float) -> str:
    return f"{value:,}"


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# --------------------------------------------------------------------------- claims


def claim_items(site: Path, slug: str) -> list[Node]:
    return main_of(page(site, f"articles/{slug}/")).section("claims-heading").find_all("li")


def test_article_says_according_to_whom_as_of_when_and_via_whom(trust: Path) -> None:
    (item,) = claim_items(trust, "sudzha-raid")
    assert "590,000" in item.text and "about 590,000" in item.text
    assert (f"according to {GENERAL_STAFF} (claimed by a party to the war), "
            "as reported by the Kyiv Independent, as of 10 August 2024") in item.text
    assert item.find("time").attrs["datetime"] == "2024-08-10"
    assert ("/claims/russian-military-losses/", "Russian military losses") in item.links()


def test_every_kind_is_labelled_and_a_party_is_never_shown_as_neutral(trust: Path) -> None:
    texts = [i.text for i in claim_items(trust, "corrected") + claim_items(trust, "graphic")]
    by_claimant = {t.split("according to ")[1].split(" (")[0].split(",")[0]: t for t in texts}
    assert "(claimed by a party to the war)" in by_claimant[GENERAL_STAFF]
    assert "(independently verified minimum)" in by_claimant["Mediazona"]
    assert "(estimate)" in by_claimant["UK Ministry of Defence"]
    reported = next(t for t in texts if "12,000" in t)
    assert "party" not in reported and "estimate" not in reported
    party_rows = [r for r in main_of(page(trust, "claims/russian-military-losses/"))
                  .find("table").find("tbody").find_all("tr") if GENERAL_STAFF in r.text]
    assert len(party_rows) == 3
    assert all("claimed by a party to the war" in r.text for r in party_rows)


def test_a_registered_claimant_links_to_the_person_under_any_alias(trust: Path) -> None:
    for slug in ("kursk-troops", "corrected", "graphic"):
        zelensky = [i for i in claim_items(trust, slug) if "North Korean" in i.text
                    and "Department" not in i.text]
        assert len(zelensky) == 1, slug
        assert ("/people/volodymyr-zelensky/", "Volodymyr Zelensky") in zelensky[0].links()
        assert "Зеленський" not in zelensky[0].text and "Zelenskyy" not in zelensky[0].text


def test_claims_index_lists_each_subject_latest_value_claimant_and_count(trust: Path) -> None:
    claims = content_claims(trust)
    rows = main_of(page(trust, "claims/")).find("table").find("tbody").find_all("tr")
    assert len(rows) == 2
    for subject, label in (("russian-military-losses", "Russian military losses"),
                           ("north-korean-troops", "North Korean troops in Kursk")):
        row = next(r for r in rows if label in r.text)
        series = [c for c in claims if c["subject"] == subject]
        latest = max(series, key=lambda c: c["as_of"])
        cells = [c.text for c in row.find_all("td")]
        assert row.find("th").links() == [(f"/claims/{subject}/", label)]
        assert cells[0].startswith(number(latest["value"]))
        assert claimant(latest["claimed_by"]) in cells[1]
        assert long_date(latest["as_of"]) in cells[1]
        assert cells[2] == str(len(series))
    losses = next(r for r in rows if "losses" in r.text)
    assert "party to the war" in losses.text


@pytest.mark.parametrize("subject", ["russian-military-losses", "north-korean-troops"])
def test_claim_page_table_and_chart_match_the_claims(trust: Path, subject: str) -> None:
    series = [c for c in content_claims(trust) if c["subject"] == subject]
    doc = main_of(page(trust, f"claims/{subject}/"))
    rows = doc.find("table").find("tbody").find_all("tr")
    assert len(rows) == len(series)
    as_of = [r.find("time").attrs["datetime"] for r in rows]
    assert sorted(as_of) == sorted(c["as_of"].isoformat() for c in series)
    for claim in series:
        row = next(r for r in rows if r.find("time").attrs["datetime"] ==
                   claim["as_of"].isoformat() and number(claim["value"]) in r.text)
        assert claimant(claim["claimed_by"]) in row.text
        assert (f"/articles/{claim['slug']}/", claim["title"]) in row.links()

    svg = doc.find("svg")
    assert svg.attrs["role"] == "img"
    title, desc = svg.find("title"), svg.find("desc")
    assert title.text and desc.text
    labelled = (svg.attrs.get("aria-labelledby") or "").split()
    assert title.attrs.get("id") in labelled and desc.attrs.get("id") in labelled
    assert len(svg.find_all("circle")) == len(series)
    groups = [g for g in svg.find_all("g") if "series" in g.classes]
    claimants = {claimant(c["claimed_by"]) for c in series}
    assert len(groups) == len(claimants)
    for group in groups:
        names = {c.find("title").text.split(": ")[0] for c in group.find_all("circle")}
        assert len(names) == 1 and names <= claimants
    legend = [li.text for li in doc.find("ul", class_="legend").find_all("li")]
    assert sorted(legend) == sorted(claimants)


def test_aliases_never_split_a_series(trust: Path) -> None:
    svg = main_of(page(trust, "claims/north-korean-troops/")).find("svg")
    groups = [g for g in svg.find_all("g") if "series" in g.classes]
    by_name = {g.find("circle").find("title").text.split(": ")[0]: len(g.find_all("circle"))
               for g in groups}
    assert by_name == {"Volodymyr Zelensky": 3, "US Department of Defense": 1}
    rows = main_of(page(trust, "claims/north-korean-troops/")).find("tbody").find_all("tr")
    linked = [r for r in rows if ("/people/volodymyr-zelensky/", "Volodymyr Zelensky")
              in r.links()]
    assert len(linked) == 3
    assert main_of(page(trust, "claims/north-korean-troops/")).text.count(
        "by Volodymyr Zelensky, US Department of Defense.") == 1


def test_chart_point_labels_state_the_figure_as_the_table_does(trust: Path) -> None:
    """A point's hover text says '11,000', as the table does, not '11,000.0'."""
    series = [c for c in content_claims(trust) if c["subject"] == "north-korean-troops"]
    svg = main_of(page(trust, "claims/north-korean-troops/")).find("svg")
    labels = sorted(c.find("title").text for c in svg.find_all("circle"))
    expected = sorted(f"{claimant(c['claimed_by'])}: {number(c['value'])} as of "
                      f"{c['as_of'].isoformat()}" for c in series)
    assert labels == expected


def test_chart_plots_higher_values_higher_and_later_dates_further_right(trust: Path) -> None:
    svg = main_of(page(trust, "claims/russian-military-losses/")).find("svg")
    points = []
    for circle in svg.find_all("circle"):
        found = re.search(r"([\d,.]+) as of (\d{4}-\d{2}-\d{2})", circle.find("title").text)
        assert found
        points.append((float(found[1].replace(",", "")), found[2],
                       float(circle.attrs["cx"] or 0), float(circle.attrs["cy"] or 0)))
    by_value = sorted(points)
    assert [p[3] for p in by_value] == sorted((p[3] for p in points), reverse=True)
    by_date = sorted(points, key=lambda p: p[1])
    assert [p[2] for p in by_date] == sorted(p[2] for p in points)


def test_person_page_lists_the_claims_they_made(trust: Path) -> None:
    made = [c for c in content_claims(trust) if claimant(c["claimed_by"]) == "Volodymyr Zelensky"]
    doc = main_of(page(trust, "people/volodymyr-zelensky/"))
    items = doc.section("claims-made-heading").find_all("li")
    assert len(items) == len(made) == 3
    for claim in made:
        item = next(i for i in items if claim["as_of"].isoformat() in
                    [t.attrs["datetime"] for t in i.find_all("time")])
        assert number(claim["value"]) in item.text
        assert ("/claims/north-korean-troops/", "North Korean troops in Kursk") in item.links()
        assert (f"/articles/{claim['slug']}/", claim["title"]) in item.links()
    assert main_of(page(trust, "people/oleksandr-syrskyi/")).maybe(
        aria_labelledby="claims-made-heading") is None


# --------------------------------------------------------------------------- problems


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def no_pagefind(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI builds skip the Pagefind index: these tests are about content, not search."""
    monkeypatch.setattr(search.Indexer, "page_staged", lambda self, path, changed: None)
    monkeypatch.setattr(search.Indexer, "finish", lambda self: frozenset())


def claims_site(make_site: MakeSite, claims: str) -> tuple[Path, str]:
    text = article(claims=nested(claims))
    return make_site({"content/articles/bad.md": text, "content/claims.yaml": CLAIMS}), text


def test_unknown_claim_subject_is_a_problem_with_a_did_you_mean(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str], no_pagefind: None) -> None:
    site, text = claims_site(make_site, """
        - subject: russian-military-loses
          value: 1
          claimed_by: Somebody
          as_of: 2025-01-01
    """)
    code, _, err = run(["build", str(site)], capsys)
    assert code == 1
    line = line_of(text, "  - subject:")
    assert f"content/articles/bad.md:{line}: unknown claim subject 'russian-military-loses'" \
        in err
    assert "did you mean 'russian-military-losses'?" in err
    assert "content/claims.yaml" in err  # how to declare it
    assert not (site / "public").exists()


def test_an_invalid_claim_kind_is_a_problem(make_site: MakeSite,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    site, text = claims_site(make_site, """
        - subject: north-korean-troops
          value: 1
          claimed_by: Somebody
          as_of: 2025-01-01
          kind: estimated
    """)
    code, _, err = run(["check", str(site)], capsys)
    assert code == 1
    assert f"content/articles/bad.md:{line_of(text, '    kind:')}: " in err
    assert "'estimated'" in err and "did you mean 'estimate'?" in err


# --------------------------------------------------------------------------- provenance


def provenance(site: Path, slug: str) -> Node:
    return main_of(page(site, f"articles/{slug}/")).section("source-heading")


def test_article_shows_outlet_original_archived_copy_and_retrieval(trust: Path) -> None:
    source = provenance(trust, "sudzha-raid")
    links = source.links()
    assert ("/sources/kyiv-independent/", "Kyiv Independent") in links
    hrefs = [href for href, _ in links]
    assert "https://kyivindependent.com/sudzha" in hrefs
    assert ("https://web.archive.org/web/20240811093000/https://kyivindependent.com/sudzha"
            in hrefs)
    times = {t.attrs["datetime"]: t.text for t in source.find_all("time")}
    assert times["2024-08-11"] == "11 August 2024"  # the snapshot's date
    assert times["2024-08-12"] == "12 August 2024"  # retrieved
    assert "Jane Doe" in source.text
    assert "Retrieved" in source.text and "Archived copy" in source.text


def test_a_dead_original_shows_the_archived_copy_first(trust: Path) -> None:
    doc = page(trust, "articles/corrected/")
    source = doc.find(aria_labelledby="source-heading")
    archived = source.find("a", href="https://web.archive.org/web/20250209120000/"
                                     "https://reuters.com/gone")
    original = source.find("a", href="https://reuters.com/gone")
    assert index_in(doc, archived) < index_in(doc, original)
    assert "9 February 2025" in source.text
    live = page(trust, "articles/sudzha-raid/")
    live_source = live.find(aria_labelledby="source-heading")
    live_original = live_source.find("a", href="https://kyivindependent.com/sudzha")
    live_archived = live_source.find("a", href="https://web.archive.org/web/20240811093000/"
                                               "https://kyivindependent.com/sudzha")
    assert index_in(live, live_original) < index_in(live, live_archived)


def test_sources_list_outlets_with_counts_and_their_coverage(trust: Path) -> None:
    outlets = Counter(front_matter(trust, rel)["source"]["name"] for rel in ARTICLES)
    items = main_of(page(trust, "sources/")).find("ul", class_="index").find_all("li")
    listed = {i.find("a").text: (i.find("a").attrs["href"], i.find(class_="count").text)
              for i in items}
    assert listed == {"Kyiv Independent": ("/sources/kyiv-independent/", "2"),
                      "New York Post": ("/sources/new-york-post/", "2"),
                      "Reuters": ("/sources/reuters/", "1")}
    assert sum(outlets.values()) == len(ARTICLES)
    kyiv = main_of(page(trust, "sources/kyiv-independent/"))
    hrefs = [h for h, _ in kyiv.links()]
    assert "/articles/graphic/" in hrefs and "/articles/sudzha-raid/" in hrefs
    assert hrefs.index("/articles/graphic/") < hrefs.index("/articles/sudzha-raid/")


def bare_site(make_site: MakeSite) -> tuple[Path, str]:
    text = article("No links", source=nested("name: Word of Mouth"))
    return make_site({"content/articles/bare.md": text}), text


def test_no_url_and_no_archive_is_a_warning_on_every_build(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str], no_pagefind: None) -> None:
    site, text = bare_site(make_site)
    where = f"content/articles/bare.md:{line_of(text, '  name:')}: warning: "
    for attempt in ("fresh", "cached"):
        code, _, err = run(["build", str(site)], capsys)
        assert code == 0, err
        assert where in err, f"{attempt} build: {err}"
        assert (site / "public/articles/bare/index.html").is_file()
        assert (site / CACHE_DIR).is_dir()
    page_text = provenance(site, "bare").text
    assert "Word of Mouth" in page_text and "no link recorded" in page_text


def test_strict_makes_the_missing_link_warning_an_error(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str], no_pagefind: None) -> None:
    site, text = bare_site(make_site)
    where = f"content/articles/bare.md:{line_of(text, '  name:')}: "
    code, _, err = run(["check", str(site)], capsys)
    assert code == 0 and where + "warning: " in err
    for command in ("check", "build"):
        code, _, err = run([command, "--strict", str(site)], capsys)
        assert code == 1, f"{command} --strict: {err}"
        assert where in err
    assert not (site / "public").exists()


def test_an_archived_url_alone_is_enough(make_site: MakeSite,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/articles/a.md": article(source=nested("""
        name: Wire
        archived_url: https://web.archive.org/web/20250208123456/https://example.com/x
    """))})
    code, _, err = run(["check", "--strict", str(site)], capsys)
    assert code == 0, err


def test_a_wayback_address_must_be_one_snapshot(make_site: MakeSite,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = ["https://web.archive.org/save/https://example.com/story",
           "https://web.archive.org/web/*/https://example.com/story",
           "https://web.archive.org/web/2025*/https://example.com/story",
           "https://web.archive.org/web/2025/https://example.com/story"]
    texts = {f"content/articles/a{n}.md": article(source=nested(f"""
        name: Wire
        url: https://example.com/story
        archived_url: {archived}
    """)) for n, archived in enumerate(bad)}
    site = make_site(dict(texts))
    code, _, err = run(["check", str(site)], capsys)
    assert code == 1
    for rel, text in texts.items():
        found = re.search(rf"^{re.escape(rel)}:{line_of(text, '  archived_url:')}: (.+)$",
                          err, re.MULTILINE)
        assert found and "snapshot" in found[1], (rel, err)


# --------------------------------------------------------------------------- updates


def test_updates_show_on_the_article_with_their_dates(trust: Path) -> None:
    items = main_of(page(trust, "articles/corrected/")).section("updates-heading").find_all("li")
    shown = {(i.find("time").attrs["datetime"], i.find("time").text) for i in items}
    assert shown == {("2025-02-10", "10 February 2025"), ("2025-03-05", "5 March 2025")}
    assert any("Second correction, of the losses." in i.text for i in items)
    assert main_of(page(trust, "articles/kursk-troops/")).maybe(
        aria_labelledby="updates-heading") is None


def test_updates_page_lists_recent_corrections_newest_first(trust: Path) -> None:
    items = main_of(page(trust, "updates/")).find("ol").find_all("li")
    listed = [(i.find("a").attrs["href"], i.find("time").attrs["datetime"]) for i in items]
    assert listed == [("/articles/corrected/", "2025-03-05"),
                      ("/articles/corrected/", "2025-02-10"),
                      ("/articles/sudzha-raid/", "2024-09-01")]
    assert "Added the archived copy." in items[-1].text
    footer = page(trust, "").find("footer", class_="site")
    assert "/updates/" in [h for h, _ in footer.links()]


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(site: Path, rel: str = "feed.xml") -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.fromstring((site / "public" / rel).read_bytes())
    entries = {}
    for entry in root.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        assert link is not None
        entries[urlsplit(link.attrib["href"]).path.split("/")[2]] = entry
    return root, entries


def test_feed_entry_updated_is_the_last_update(trust: Path) -> None:
    _, entries = feed_entries(trust)
    assert entries["corrected"].findtext(f"{ATOM}updated") == "2025-03-05T00:00:00Z"
    assert entries["corrected"].findtext(f"{ATOM}published") == "2025-02-08T00:00:00Z"
    assert entries["kursk-troops"].findtext(f"{ATOM}updated") == "2024-12-01T00:00:00Z"


def test_feed_updated_is_its_most_recent_change(trust: Path) -> None:
    """Atom: the feed's <updated> is the latest instant an entry changed (RFC 4287 4.2.15)."""
    root, entries = feed_entries(trust)
    latest = max(e.findtext(f"{ATOM}updated") or "" for e in entries.values())
    assert latest == "2025-03-05T00:00:00Z"
    assert root.findtext(f"{ATOM}updated") == latest


def test_jsonld_carries_date_modified_and_corrections(trust: Path) -> None:
    data = jsonld(page(trust, "articles/corrected/"))
    assert data["datePublished"] == "2025-02-08"
    assert data["dateModified"] == "2025-03-05"
    corrections = sorted((c["datePublished"], c["text"]) for c in data["correction"])
    assert corrections == [("2025-02-10", "Corrected the date of the address."),
                           ("2025-03-05", "Second correction, of the losses.")]
    assert all(c["@type"] == "CorrectionComment" for c in data["correction"])
    modified = meta(page(trust, "articles/corrected/"), property="article:modified_time")
    assert modified.startswith("2025-03-05")


# --------------------------------------------------------------------------- content warning


def test_content_warning_comes_before_the_body_which_search_ignores(trust: Path) -> None:
    doc = page(trust, "articles/graphic/")
    notice = doc.find(class_="content-warning")
    body = doc.find("div", class_="body")
    assert WARNING in notice.text
    assert index_in(doc, notice) < index_in(doc, body)
    assert BODY_SECRET in body.text
    assert body.has("data-pagefind-ignore")
    summary = doc.find("p", class_="summary")
    assert summary.has("data-pagefind-ignore") and not summary.has("data-pagefind-meta")
    excerpts = [n for n in doc.iter() if n.attrs.get("data-pagefind-meta") == "summary"]
    assert [WARNING in n.text for n in excerpts] == [True]
    assert not doc.find("div", class_="body", data_pagefind_ignore=True).find_all(
        data_pagefind_meta=True)


def test_content_warning_replaces_the_summary_in_listings(trust: Path) -> None:
    for address in ("", "places/ukraine/", "topics/casualties/", "people/volodymyr-zelensky/",
                    "sources/kyiv-independent/", "archive/2025/01/"):
        doc = main_of(page(trust, address))
        items = [li for ol in doc.find_all("ol", class_="articles") for li in ol.find_all("li")
                 if ("/articles/graphic/", "Aftermath of the battle") in li.links()]
        assert items, address
        for item in items:
            assert WARNING in item.text, address
            assert SUMMARY_SECRET not in item.text, address


def test_the_summary_and_body_of_graphic_material_appear_nowhere_else(trust: Path) -> None:
    public = trust / "public"
    own = public / "articles/graphic/index.html"
    for path in public.rglob("*"):
        if path.suffix in (".html", ".xml") and path != own:
            text = path.read_text("utf-8")
            assert "SECRETSUMMARY" not in text, path
            assert "GRAPHICBODY" not in text, path


def test_content_warning_in_feed_summary_social_cards_and_jsonld(trust: Path) -> None:
    for rel in ("feed.xml", "topics/casualties/feed.xml", "people/volodymyr-zelensky/feed.xml"):
        _, entries = feed_entries(trust, rel)
        summary = entries["graphic"].findtext(f"{ATOM}summary") or ""
        assert WARNING in summary and "SECRETSUMMARY" not in summary, rel
        assert entries["graphic"].findtext(f"{ATOM}title") == "Aftermath of the battle"
    doc = page(trust, "articles/graphic/")
    for attrs in ({"name": "description"}, {"property": "og:description"},
                  {"name": "twitter:description"}):
        content = meta(doc, **attrs)
        assert WARNING in content and "SECRETSUMMARY" not in content, attrs
    assert meta(doc, property="og:title") == "Aftermath of the battle"
    description = jsonld(doc)["description"]
    assert WARNING in description and "SECRETSUMMARY" not in description


# --------------------------------------------------------------------------- about


def test_about_page_is_built_and_linked_from_the_footer(trust: Path) -> None:
    doc = page(trust, "about/")
    body = main_of(doc)
    assert body.find("h1").text
    assert "Inclusion criteria" in body.text
    assert "We include coverage that names its sources." in body.text
    for address in ("", "articles/graphic/", "claims/"):
        footer = page(trust, address).find("footer", class_="site")
        assert "/about/" in [h for h, _ in footer.links()], address


def test_without_about_md_there_is_no_about_page(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article()})
    pipeline.build(site, index=False)
    assert not (site / "public/about").exists()
    footer = page(site, "").find("footer", class_="site")
    assert "/about/" not in [h for h, _ in footer.links()]


# --------------------------------------------------------------------------- places


def crumbs(doc: Node) -> list[tuple[str, str]]:
    return main_of(doc).find("nav", aria_label="Breadcrumb").links()


def test_place_breadcrumb_follows_within(trust: Path) -> None:
    assert crumbs(page(trust, "places/sudzha/")) == [
        ("/places/", "Places"), ("/places/russia/", "Russia"),
        ("/places/kursk-oblast/", "Kursk Oblast")]
    assert crumbs(page(trust, "places/kursk-oblast/")) == [
        ("/places/", "Places"), ("/places/russia/", "Russia")]
    assert crumbs(page(trust, "places/russia/")) == [("/places/", "Places")]
    nav = main_of(page(trust, "places/sudzha/")).find("nav", aria_label="Breadcrumb")
    assert nav.text == "Places › Russia › Kursk Oblast"


def article_hrefs(node: Node) -> list[str]:
    return [h for h, _ in node.links() if h.startswith("/articles/")]


def test_a_parent_without_own_coverage_gets_a_page_with_its_sub_places(trust: Path) -> None:
    doc = main_of(page(trust, "places/russia/"))
    assert article_hrefs(doc.section("coverage-heading")) == []
    within = doc.section("sub-places-heading")
    assert within.find("h2").text == "Places within Russia"
    assert within.links() == [("/places/kursk-oblast/", "Kursk Oblast")]
    below = doc.section("sub-coverage-heading")
    assert article_hrefs(below) == ["/articles/kursk-troops/", "/articles/sudzha-raid/"]
    places = main_of(page(trust, "places/")).links()
    assert ("/places/russia/", "Russia") in places


def test_coverage_of_sub_places_is_kept_apart_from_own_coverage(trust: Path) -> None:
    doc = main_of(page(trust, "places/kursk-oblast/"))
    assert article_hrefs(doc.section("coverage-heading")) == ["/articles/kursk-troops/"]
    assert doc.section("sub-places-heading").links() == [("/places/sudzha/", "Sudzha")]
    assert article_hrefs(doc.section("sub-coverage-heading")) == ["/articles/sudzha-raid/"]
    leaf = main_of(page(trust, "places/sudzha/"))
    assert leaf.maybe(aria_labelledby="sub-places-heading") is None
    assert leaf.maybe(aria_labelledby="sub-coverage-heading") is None


def test_coordinates_link_to_openstreetmap(trust: Path) -> None:
    coordinates = main_of(page(trust, "places/kursk-oblast/")).find(class_="coordinates")
    (href, _), = coordinates.links()
    parts = urlsplit(href)
    assert parts.scheme == "https" and parts.netloc in ("www.openstreetmap.org",
                                                        "openstreetmap.org")
    query = parse_qs(parts.query)
    assert float(query["mlat"][0]) == pytest.approx(51.7)
    assert float(query["mlon"][0]) == pytest.approx(36.19)
    assert main_of(page(trust, "places/ukraine/")).maybe(class_="coordinates") is None


@pytest.mark.parametrize("places", [
    "- name: Kursk\n  within: Russia\n- name: Russia\n  within: Kursk\n",
    "- name: Kursk\n  within: Kursk\n- name: Russia\n",
])
def test_a_circular_within_is_a_problem(make_site: MakeSite, places: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/places.yaml": places,
                      "content/articles/a.md": article(places="[Kursk]")})
    code, _, err = run(["check", str(site)], capsys)
    assert code == 1
    assert re.search(r"content/places\.yaml:[24]: .*'within'", err), err
    assert "itself" in err


# --------------------------------------------------------------------------- neighbours


def test_every_article_links_to_the_previous_and_next_by_date(trust: Path) -> None:
    dates = {Path(rel).stem: front_matter(trust, rel)["date"] for rel in ARTICLES}
    order = sorted(dates, key=dates.__getitem__)
    assert order == SLUGS_BY_DATE
    for rank, slug in enumerate(order):
        doc = page(trust, f"articles/{slug}/")
        older = f"/articles/{order[rank - 1]}/" if rank > 0 else None
        newer = f"/articles/{order[rank + 1]}/" if rank + 1 < len(order) else None
        for rel, wanted in (("prev", older), ("next", newer)):
            heads = [n.attrs["href"] for n in doc.find("head").find_all("link", rel=rel)]
            bodies = [n.attrs["href"] for n in main_of(doc).find_all("a", rel=rel)]
            assert heads == bodies == ([wanted] if wanted else []), (slug, rel)


# --------------------------------------------------------------------------- related


def related_site(make_site: MakeSite) -> Path:
    def one(day: str, places: str) -> str:
        return article(f"On {places} from {day}", day, people="[]", topics="[]",
                       places=places)

    return make_site({
        "content/articles/kursk.md": one("2025-01-01", "[Kursk]"),
        "content/articles/ukraine1.md": one("2025-01-02", "[Ukraine]"),
        "content/articles/ukraine2.md": one("2025-01-03", "[Ukraine]"),
        "content/articles/ukraine3.md": one("2025-01-04", "[Ukraine]"),
        "content/articles/ukraine4.md": one("2025-01-06", "[Ukraine]"),
        "content/articles/base.md": one("2025-01-05", "[Kursk, Ukraine]"),
    })


def related(site: Path, slug: str) -> list[str]:
    aside = main_of(page(site, f"articles/{slug}/")).section("related-heading")
    return article_hrefs(aside)


def test_related_coverage_rare_terms_first_ties_to_the_newer(make_site: MakeSite) -> None:
    site = related_site(make_site)
    pipeline.build(site, index=False)
    assert related(site, "base") == ["/articles/kursk/", "/articles/ukraine4/",
                                     "/articles/ukraine3/", "/articles/ukraine2/",
                                     "/articles/ukraine1/"]
    # Ukraine alone is shared with every other: a tie, so newest first.
    assert related(site, "ukraine2") == ["/articles/ukraine4/", "/articles/base/",
                                         "/articles/ukraine3/", "/articles/ukraine1/"]
    first = (site / "public/articles/base/index.html").read_bytes()
    pipeline.build(site, out=site / "again", index=False)
    assert (site / "again/articles/base/index.html").read_bytes() == first


# --------------------------------------------------------------------------- JSON-LD


def test_jsonld_news_article_fields(trust: Path) -> None:
    doc = page(trust, "articles/kursk-troops/")
    data = jsonld(doc)
    url = f"{BASE}/articles/kursk-troops/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "North Korean troops arrive in Kursk"
    assert data["datePublished"] == data["dateModified"] == "2024-12-01"
    assert data["url"] == url
    assert "correction" not in data
    based = data["isBasedOn"]
    assert based["publisher"]["name"] == "New York Post"
    assert based["url"] == "https://nypost.com/kursk-troops"
    about = {thing["name"]: thing for thing in data["about"]}
    zelensky = about["Volodymyr Zelensky"]
    assert zelensky["@type"] == "Person"
    assert set(zelensky["alternateName"]) == {"Zelensky", "Zelenskyy", "Зеленський"}
    kursk = about["Kursk Oblast"]
    assert kursk["@type"] == "Place" and kursk["alternateName"] == ["Kursk"]
    assert kursk["geo"]["latitude"] == pytest.approx(51.7)
    assert kursk["geo"]["longitude"] == pytest.approx(36.19)
    assert "geo" not in about["Ukraine"]
    assert doc.find("link", rel="canonical").attrs["href"] == url
    assert meta(doc, property="og:url") == url
    assert meta(doc, property="og:type") == "article"
    assert meta(doc, property="og:title") == data["headline"]
    assert meta(doc, name="twitter:card")
    summary = front_matter(trust, "content/articles/2024/kursk-troops.md")["summary"]
    assert meta(doc, property="og:description") == summary == data["description"]


def test_jsonld_archived_copy_and_author(trust: Path) -> None:
    based = jsonld(page(trust, "articles/sudzha-raid/"))["isBasedOn"]
    assert based["author"]["name"] == "Jane Doe"
    assert based["archivedAt"].startswith("https://web.archive.org/web/20240811093000/")


def test_a_hostile_title_stays_inside_the_json_ld_block(trust: Path) -> None:
    text = (trust / "public/articles/hostile/index.html").read_text("utf-8")
    doc = parse_html(text)
    scripts = doc.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/ld+json"]
    block = scripts[0].raw
    assert "<" not in block and ">" not in block
    assert jsonld(doc)["headline"] == HOSTILE
    assert doc.find("h1").text == HOSTILE
    assert meta(doc, property="og:title") == HOSTILE
    assert "alert(1)</script>" not in text


# --------------------------------------------------------------------------- exports


def test_articles_json_round_trips_the_content(trust: Path) -> None:
    document = json.loads((trust / "public/data/articles.json").read_text("utf-8"))
    assert document["schema"] == "warchive-articles/1"
    assert document["site"] == f"{BASE}/"
    exported = {a["slug"]: a for a in document["articles"]}
    assert [a["slug"] for a in document["articles"]] == SLUGS_BY_DATE[::-1]
    places, topics = canonical(PLACES), canonical(TOPICS)
    for rel in ARTICLES:
        data, got = front_matter(trust, rel), exported[Path(rel).stem]
        source = data["source"]
        assert got["url"] == f"{BASE}/articles/{Path(rel).stem}/"
        assert got["title"] == data["title"] and got["summary"] == data["summary"]
        assert got["date"] == data["date"].isoformat()
        assert got["lang"] == "en"
        assert got["content_warning"] == data.get("content_warning")
        retrieved = source.get("retrieved")
        assert got["source"] == {
            "name": source["name"], "url": source.get("url"), "author": source.get("author"),
            "archived_url": source.get("archived_url"),
            "url_status": source.get("url_status", "live"),
            "retrieved": retrieved.isoformat() if retrieved else None}
        assert got["people"] == [claimant(p) for p in data["people"]]
        assert got["places"] == [places[p.casefold()] for p in data["places"]]
        assert got["topics"] == [topics[t.casefold()] for t in data["topics"]]
        assert got["updates"] == sorted(
            ({"date": u["date"].isoformat(), "note": u["note"]} for u in data.get("updates", [])),
            key=lambda u: u["date"])


def test_claims_csv_round_trips_the_content(trust: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((trust / "public/data/claims.csv").read_text())))
    subjects = {s["slug"]: s for s in yaml.safe_load(CLAIMS)}

    def key(claim: dict[str, Any]) -> tuple[str, ...]:
        subject = subjects[claim["subject"]]
        return (claim["subject"], subject["label"], subject["unit"], str(claim["value"]),
                claim.get("wording", ""), claim["claimed_by"], claimant(claim["claimed_by"]),
                claim.get("kind", "reported"), claim.get("via", ""), claim["as_of"].isoformat(),
                f"{BASE}/articles/{claim['slug']}/", claim["title"],
                claim["article_date"].isoformat())

    got = [(r["subject"], r["subject_label"], r["unit"], r["value"], r["wording"],
            r["claimed_by"], r["claimant"], r["kind"], r["via"], r["as_of"], r["article_url"],
            r["article_title"], r["article_date"]) for r in rows]
    assert sorted(got) == sorted(key(c) for c in content_claims(trust))
    order = [(r["subject"], r["as_of"], r["claimant"]) for r in rows]
    assert order == sorted(order)
    assert all(r["source"] for r in rows)


def test_exports_are_byte_identical_across_builds(trust: Path, tmp_path: Path) -> None:
    pipeline.build(trust, out=tmp_path / "again", index=False)
    for rel in ("data/articles.json", "data/claims.csv"):
        assert (tmp_path / "again" / rel).read_bytes() == (trust / "public" / rel).read_bytes()


def test_every_kind_is_accepted_and_a_claimant_named_in_no_article_has_a_page(
        make_site: MakeSite) -> None:
    """A claim links to its claimant's page: that page must exist and list the claim, even
    when no article names the person among its `people`."""
    kinds = ["reported", "party", "verified-minimum", "estimate"]
    flow = "".join(
        f"        - {{subject: north-korean-troops, value: {n}, claimed_by: C{n},"
        f" as_of: 2025-01-0{n}, kind: {kind}}}\n" for n, kind in enumerate(kinds, 1))
    site, _ = claims_site(make_site, flow + """
        - subject: north-korean-troops
          value: 12000
          claimed_by: Олександр Сирський
          as_of: 2025-01-09
    """)
    pipeline.build(site, index=False)
    rows = list(csv.DictReader(io.StringIO((site / "public/data/claims.csv").read_text())))
    assert [r["kind"] for r in rows] == [*kinds, "reported"]
    syrskyi = next(i for i in claim_items(site, "bad") if "12,000" in i.text)
    assert ("/people/oleksandr-syrskyi/", "Oleksandr Syrskyi") in syrskyi.links()
    person = site / "public/people/oleksandr-syrskyi/index.html"
    assert person.is_file(), "the claimant's link leads nowhere"
    made = main_of(parse_html(person.read_text("utf-8"))).section("claims-made-heading")
    assert ("/articles/bad/", "A test article") in made.links()


def test_draft_claims_stay_out_until_drafts_are_built(make_site: MakeSite, tmp_path: Path) -> None:
    site, _ = claims_site(make_site, """
        - subject: north-korean-troops
          value: 12000
          claimed_by: Somebody
          as_of: 2025-01-01
    """)
    text = (site / "content/articles/bad.md").read_text()
    (site / "content/articles/bad.md").write_text(text.replace("---\n", "---\ndraft: true\n", 1))
    pipeline.build(site, index=False)
    assert not (site / "public/claims/north-korean-troops").exists()
    assert (site / "public/data/claims.csv").read_text().count("\n") == 1  # the header alone
    pipeline.build(site, out=tmp_path / "drafts", drafts=True, index=False)
    assert (tmp_path / "drafts/claims/north-korean-troops/index.html").is_file()
    assert "Somebody" in (tmp_path / "drafts/data/claims.csv").read_text()
