from __future__ import annotations

from builder import frontmatter
from builder.registries import read_registry, read_subjects


def registry(kind: str, text: str):  # type: ignore[no-untyped-def]
    data, problems = frontmatter.load(text, f"content/{kind}.yaml")
    assert not problems
    return read_registry(kind, data, f"content/{kind}.yaml")


def test_aliases_resolve_to_the_canonical_term_whatever_the_case() -> None:
    people, problems = registry("people", "- name: Volodymyr Zelensky\n"
                                          "  aliases: [Zelenskyy, Зеленський]\n")
    assert not problems
    term = people.find("zelenskyy")
    assert term is not None and term.name == "Volodymyr Zelensky"
    assert people.find("Зеленський") is term and term.slug == "volodymyr-zelensky"


def test_cyrillic_names_get_romanised_slugs() -> None:
    people, _ = registry("people", "- name: Олександр Сирський\n")
    assert people.terms[0].slug == "oleksandr-syrskyi"


def test_an_alias_shared_by_two_entries_is_a_problem() -> None:
    _, problems = registry("people", "- name: A\n  aliases: [X]\n- name: B\n  aliases: [x]\n")
    assert [p.line for p in problems] == [4] and "'x' names both 'A' and 'B'" in problems[0].message


def test_misspelled_key_gets_did_you_mean() -> None:
    _, problems = registry("people", "- name: A\n  alias: [X]\n")
    assert problems[0].line == 2 and "aliases" in problems[0].hint


def test_within_must_name_a_known_place() -> None:
    _, problems = registry("places", "- name: Kursk Oblast\n  within: Rusia\n- name: Russia\n")
    assert problems[0].line == 2 and "'Russia'" in problems[0].hint


def test_coordinates_are_checked() -> None:
    places, problems = registry("places", "- name: Kyiv\n  coordinates: [50.45, 30.52]\n"
                                          "- name: Nowhere\n  coordinates: [100, 0]\n")
    assert places.terms[0].coordinates == (50.45, 30.52)
    assert [p.line for p in problems] == [4]


def test_duplicate_slugs_are_a_problem() -> None:
    _, problems = registry("topics", "- name: Air defence\n- name: air-defence\n")
    assert problems and "already used" in problems[0].message


def test_claim_subjects() -> None:
    text = "- slug: losses\n  label: Losses\n  unit: troops\n- slug: Bad Slug\n"
    data, _ = frontmatter.load(text, "content/claims.yaml")
    subjects, problems = read_subjects(data, "content/claims.yaml")
    assert subjects["losses"].unit == "troops" and len(problems) == 1
