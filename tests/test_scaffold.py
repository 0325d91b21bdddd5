"""`warchive new` and `warchive import`, end to end through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import frontmatter
from builder.cli import main
from builder.scraped import parse, split_caption

from .conftest import MakeSite, article

SCRAPED = Path(__file__).parent / "fixtures" / "scraped"
PEOPLE = """\
- name: Oleksandr Syrskyi
  aliases: [Syrskyi, Олександр Сирський]
"""
PLACES = """\
- name: Ukraine
- name: Kharkiv
  aliases: [Харків]
- name: Odesa
  aliases: [Odessa]
- name: Kupiansk
  aliases: [Куп'янськ, Куп'янськом]
"""


def front(path: Path) -> dict[str, object]:
    parts = frontmatter.split(path.read_text(), str(path))
    assert not isinstance(parts, frontmatter.Problem)
    data, problems = frontmatter.load(parts.yaml_text, str(path))
    assert not problems
    return dict(data)


def run(site: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main([*args, "--site-dir", str(site)])
    out = capsys.readouterr()
    return status, out.out.strip() or out.err.strip()


def test_new_then_build_succeeds(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site()
    status, printed = run(site, "new", "Олександр Сирський: нова операція", "--date",
                          "2025-03-01", capsys=capsys)
    path = site / printed
    assert status == 0 and printed.endswith("2025/03/oleksandr-syrskyi-nova-operatsiia.md")
    data = front(path)
    assert data["draft"] is True and str(data["date"]) == "2025-03-01"
    for field in ("title", "summary", "source", "people", "places", "topics"):
        assert field in data
    for commented in ("# url:", "# archived_url:", "# claims:", "# updates:", "# figures:",
                      "# lang:"):
        assert commented in path.read_text()
    assert main(["build", str(site), "--drafts"]) == 0
    assert (site / "public/articles/oleksandr-syrskyi-nova-operatsiia/index.html").exists()


def test_new_refuses_to_overwrite(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site()
    assert run(site, "new", "Same title", "--date", "2025-03-01", capsys=capsys)[0] == 0
    status, message = run(site, "new", "Same title", "--date", "2025-03-01", capsys=capsys)
    assert status == 1 and "already exists" in message


def test_new_rejects_a_bad_date(make_site: MakeSite) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["new", "X", "--date", "2025-02-30", "--site-dir", str(make_site())])
    assert exit_info.value.code == 2


def test_import_of_a_blog_repost(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/places.yaml": PLACES, "content/people.yaml": PEOPLE})
    status, printed = run(site, "import", str(SCRAPED / "blog-repost.txt"), capsys=capsys)
    assert status == 0
    text = (site / printed).read_text()
    data = front(site / printed)
    assert data["title"] == "Drone debris falls on Kharkiv suburb overnight"
    assert text.count("Drone debris falls on Kharkiv suburb overnight") == 1
    for boilerplate in ("Source link", "newsbot_77", "Leave a Reply", "email address"):
        assert boilerplate not in text
    assert data["figures"] == [{"caption": "Firefighters work at a damaged house in the Kharkiv "
                                           "region on Tuesday.", "credit": "REUTERS"}]
    assert data["places"] == ["Kharkiv"] and data["draft"] is True
    assert data["source"]["author"] == "With Reuters wires"  # type: ignore[index]
    assert "Ukrainian Air Force" in text.split("Names no registry knows yet")[1].split("\n")[0]
    assert "suggested from: Air defence units shot down 42 of 51 drones" not in text
    assert main(["check", str(site), "--drafts"]) == 0


def test_import_of_wire_copy_without_repeated_title(make_site: MakeSite,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/places.yaml": PLACES, "content/people.yaml": PEOPLE})
    status, printed = run(site, "import", str(SCRAPED / "wire-copy.txt"), capsys=capsys)
    data = front(site / printed)
    text = (site / printed).read_text()
    assert status == 0 and data["title"] == "Grain exports rise despite port strikes"
    assert data["places"] == ["Ukraine", "Odesa"]
    assert data["figures"] == [{"caption": "A cargo ship waits near Odesa port.",
                                "credit": "Oleksandr Gimanov/AFP via Getty Images"}]
    assert "#   suggested from: Ukraine shipped 4,200,000 tonnes of grain in March" in text
    assert "United Nations" in text and "Black Sea" in text


def test_import_of_cyrillic_text(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/places.yaml": PLACES, "content/people.yaml": PEOPLE})
    status, printed = run(site, "import", str(SCRAPED / "cyrillic.txt"), capsys=capsys)
    data = front(site / printed)
    assert status == 0 and printed.endswith("syrskyi-boi-pid-kupianskom-tryvaiut.md")
    assert data["people"] == ["Oleksandr Syrskyi"] and data["places"] == ["Kupiansk"]
    assert data["figures"] == [{"caption": "Українські військові на позиції під Куп'янськом.",
                                "credit": "AP"}]


@pytest.mark.parametrize(("line", "expected"), [
    ("Troops at a checkpoint near Izium. AP", ("Troops at a checkpoint near Izium.", "AP")),
    ("A rally in Kyiv on Sunday. Anadolu via Getty Images",
     ("A rally in Kyiv on Sunday.", "Anadolu via Getty Images")),
    ("The minister spoke to reporters. He said little. PRESS SERVICE/EPA-EFE",
     ("The minister spoke to reporters. He said little.", "PRESS SERVICE/EPA-EFE")),
    ("The talks ended without a deal. Officials will meet again", None),
    ("Ukraine joined NATO talks in 2024. NATO", ("Ukraine joined NATO talks in 2024.", "NATO")),
])
def test_caption_credits(line: str, expected: tuple[str, str] | None) -> None:
    assert split_caption(line) == expected


def test_an_article_that_mentions_source_link_in_prose_keeps_it() -> None:
    scraped = parse("Title\n\nThe Source link on the page was broken, officials said.\n")
    assert scraped.paragraphs == ["The Source link on the page was broken, officials said."]


def test_import_names_every_problem_with_the_registries(make_site: MakeSite,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/people.yaml": "- name: A\n  alias: [B]\n",
                      "content/articles/a.md": article()})
    status, message = run(site, "import", str(SCRAPED / "wire-copy.txt"), capsys=capsys)
    assert status == 1 and "content/people.yaml:2: unknown field 'alias'" in message
