"""People, places, topics and claim subjects: canonical names, aliases and suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cached import Cached
from .fields import Fields
from .frontmatter import YList, YMap
from .problems import Problem, did_you_mean
from .urls import is_slug, slugify

KINDS = ("people", "places", "topics")
SINGULAR = {"people": "person", "places": "place", "topics": "topic"}
_TERM_KEYS = {"name", "slug", "aliases", "description"}
_PLACE_KEYS = _TERM_KEYS | {"coordinates", "within"}
_SUBJECT_KEYS = {"slug", "label", "unit", "description"}


@dataclass(frozen=True, slots=True, eq=False)
class Term(Cached):
    """One registry entry; compared by identity, as each is made once per build."""

    kind: str
    """'people', 'places' or 'topics'."""
    name: str
    """Canonical display name: every alias resolves to it."""
    slug: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    """Markdown."""
    coordinates: tuple[float, float] | None = None
    within: str | None = None
    """Canonical name of the enclosing place (places only)."""


@dataclass(frozen=True, slots=True)
class Registry:
    kind: str
    terms: tuple[Term, ...] = ()
    by_name: dict[str, Term] = field(default_factory=dict)
    """Casefolded name or alias to its term."""

    def find(self, name: str) -> Term | None:
        return self.by_name.get(name.casefold())

    def suggest(self, name: str) -> str:
        return did_you_mean(name, [*(t.name for t in self.terms),
                                   *(a for t in self.terms for a in t.aliases)])


@dataclass(frozen=True, slots=True)
class Subject:
    """A claim subject declared in content/claims.yaml: what a series of figures counts."""

    slug: str
    label: str
    unit: str = ""
    description: str = ""


def read_registry(kind: str, data: Any, path: str) -> tuple[Registry, list[Problem]]:
    problems: list[Problem] = []
    if data is None:
        return Registry(kind), problems
    if not isinstance(data, YList):
        return Registry(kind), [Problem(path, 1, f"{kind}.yaml must be a list of entries")]
    terms: list[Term] = []
    by_name: dict[str, Term] = {}
    slugs: dict[str, int] = {}
    within_lines: dict[str, int] = {}
    for item, line in zip(data, data.item_lines, strict=True):
        if not isinstance(item, YMap):
            problems.append(Problem(path, line, "each entry must be a mapping with a 'name'"))
            continue
        term = _read_term(kind, item, path, problems)
        if term is None:
            continue
        _claim_slug(term, slugs, item, path, problems)
        for spelling, spelling_line in _spellings(item):
            owner = by_name.setdefault(spelling.casefold(), term)
            if owner is not term:
                problems.append(Problem(path, spelling_line, f"{spelling!r} names both "
                                        f"{owner.name!r} and {term.name!r}",
                                        "a name or alias may belong to one entry only"))
        terms.append(term)
        within_lines[term.name] = item.line_of("within")
    registry = Registry(kind, tuple(terms), by_name)
    if kind == "places":
        problems += _check_within(registry, within_lines, path)
    return registry, problems


def _read_term(kind: str, item: YMap, path: str, problems: list[Problem]) -> Term | None:
    read = Fields(item, path, problems)
    read.only(_PLACE_KEYS if kind == "places" else _TERM_KEYS)
    name = read.text("name", required=True)
    if name is None:
        return None
    slug = read.text("slug") or slugify(name)
    if not is_slug(slug):
        read.problem("slug", f"slug {slug!r} may hold only a-z, 0-9 and single hyphens")
        return None
    aliases = tuple(dict.fromkeys(a for a, _ in read.texts("aliases")))
    coordinates = _coordinates(read) if kind == "places" else None
    return Term(kind, name, slug, aliases, read.text("description") or "", coordinates,
                read.text("within") if kind == "places" else None)


def _spellings(item: YMap) -> list[tuple[str, int]]:
    """The entry's name and aliases, each with the line it is written on."""
    found = [(item["name"].strip(), item.line_of("name"))]
    aliases = item.get("aliases")
    if isinstance(aliases, str):
        found.append((aliases.strip(), item.line_of("aliases")))
    elif isinstance(aliases, YList):
        found += [(a.strip(), line) for a, line in zip(aliases, aliases.item_lines, strict=True)
                  if isinstance(a, str) and a.strip()]
    return list(dict.fromkeys(found))


def _claim_slug(term: Term, slugs: dict[str, int], item: YMap, path: str,
                problems: list[Problem]) -> None:
    first = slugs.setdefault(term.slug, item.line)
    if first != item.line:
        problems.append(Problem(path, item.line, f"slug {term.slug!r} of {term.name!r} is "
                                f"already used on line {first}",
                                "give one of them a distinct 'slug:'"))


def _coordinates(read: Fields) -> tuple[float, float] | None:
    value = read.mapping.get("coordinates")
    if value is None:
        return None
    if (isinstance(value, YList) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and -90 <= value[0] <= 90 and -180 <= value[1] <= 180):
        return float(value[0]), float(value[1])
    read.problem("coordinates", "'coordinates' must be [latitude, longitude] in degrees")
    return None


def _check_within(places: Registry, lines: dict[str, int], path: str) -> list[Problem]:
    problems = []
    for term in places.terms:
        if term.within is None:
            continue
        parent = places.find(term.within)
        if parent is None:
            problems.append(Problem(path, lines[term.name], f"unknown place {term.within!r} "
                                    "in 'within'", places.suggest(term.within)))
        elif _circular(places, term):
            problems.append(Problem(path, lines[term.name], f"'within' of {term.name!r} leads "
                                    "back to itself", "a place sits within a larger one"))
    return problems


def _circular(places: Registry, start: Term) -> bool:
    seen = {id(start)}
    current = places.find(start.within) if start.within else None
    while current is not None:
        if id(current) in seen:
            return current is start
        seen.add(id(current))
        current = places.find(current.within) if current.within else None
    return False


def read_subjects(data: Any, path: str) -> tuple[dict[str, Subject], list[Problem]]:
    problems: list[Problem] = []
    subjects: dict[str, Subject] = {}
    if data is None:
        return subjects, problems
    if not isinstance(data, YList):
        return subjects, [Problem(path, 1, "claims.yaml must be a list of subjects")]
    for item, line in zip(data, data.item_lines, strict=True):
        if not isinstance(item, YMap):
            problems.append(Problem(path, line, "each subject must be a mapping with a 'slug'"))
            continue
        read = Fields(item, path, problems)
        read.only(_SUBJECT_KEYS)
        slug = read.text("slug", required=True)
        if slug is None or not is_slug(slug):
            if slug is not None:
                read.problem("slug", f"slug {slug!r} may hold only a-z, 0-9 and single hyphens")
            continue
        if slug in subjects:
            read.problem("slug", f"subject {slug!r} is declared twice")
        subjects[slug] = Subject(slug, read.text("label") or slug.replace("-", " "),
                                 read.text("unit") or "", read.text("description") or "")
    return subjects, problems
