"""Regression tests, each named for what broke (found in review)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from builder import pipeline
from builder.cli import main
from builder.markdown import render
from builder.problems import ContentError

from .conftest import MakeSite, article


def test_a_date_with_a_time_in_updates_and_claims_no_longer_crashes(make_site: MakeSite) -> None:
    updates = ("\n  - date: 2025-02-10\n    note: one"
               "\n  - date: 2025-02-10T12:00:00+00:00\n    note: two")
    claims = ("\n  - {subject: losses, value: 1, claimed_by: X, as_of: 2025-02-08}"
              "\n  - {subject: losses, value: 2, claimed_by: X, as_of: 2025-02-09T10:00:00+02:00}")
    site = make_site({"content/articles/a.md": article(updates=updates, claims=claims),
                      "content/articles/b.md": article(
                          "B", updates="\n  - date: 2025-02-11T09:00:00+02:00\n    note: y"),
                      "content/claims.yaml": "- slug: losses\n  label: Losses\n"})
    pipeline.build(site, index=False)
    assert (site / "public/claims/losses/index.html").exists()


def test_a_folder_rebuilt_by_another_site_is_not_taken_for_up_to_date(
        make_site: MakeSite, tmp_path: Path) -> None:
    one = make_site({"content/articles/one.md": article("One")})
    other = tmp_path / "other"
    import shutil

    shutil.copytree(one, other)
    (other / "content/articles/one.md").unlink()
    (other / "content/articles/two.md").write_text(article("Two"))
    shared = tmp_path / "shared"
    pipeline.build(one, out=shared, index=False)
    pipeline.build(other, out=shared, index=False)
    pipeline.build(one, out=shared, index=False)
    assert (shared / "articles/one/index.html").exists()
    assert not (shared / "articles/two").exists()


def test_outlets_in_unromanised_scripts_get_pages_of_their_own(make_site: MakeSite) -> None:
    site = make_site({
        "content/articles/a.md": article("A", source="\n  name: 新华社\n  url: https://a.cn/x"),
        "content/articles/b.md": article("B", source="\n  name: الجزيرة\n  url: https://b.qa/x")})
    pipeline.build(site, index=False)
    outlets = sorted(p.name for p in (site / "public/sources").iterdir() if p.is_dir())
    assert len(outlets) == 2 and all(name.startswith("source-") for name in outlets)


def test_a_static_file_named_like_a_page_is_refused_and_the_site_kept(
        make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/articles/a.md": article()})
    pipeline.build(site, index=False)
    robots = (site / "public/robots.txt").read_bytes()
    (site / "templates/static/robots.txt").write_text("Disallow: /private/\n")
    assert main(["build", str(site)]) == 2
    assert "two outputs would write 'robots.txt'" in capsys.readouterr().err
    assert (site / "public/robots.txt").read_bytes() == robots


def test_control_characters_and_infinite_values_are_problems(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article(
        '"Title \\x0b with VT"', claims="\n  - {subject: losses, value: .inf, claimed_by: X,"
                                        " as_of: 2025-02-08}"),
        "content/claims.yaml": "- slug: losses\n  label: Losses\n"})
    with pytest.raises(ContentError) as error:
        pipeline.build(site, index=False)
    messages = [p.message for p in error.value.problems]
    assert any("control character" in m for m in messages)
    assert any("finite number" in m for m in messages)


def test_claims_csv_cells_cannot_run_as_spreadsheet_formulas(make_site: MakeSite) -> None:
    claims = '\n  - {subject: losses, value: 3, claimed_by: "=HYPERLINK(1)", as_of: 2025-02-08}'
    site = make_site({"content/articles/a.md": article(claims=claims),
                      "content/claims.yaml": "- slug: losses\n  label: Losses\n"})
    pipeline.build(site, index=False)
    (row,) = csv.DictReader(io.StringIO((site / "public/data/claims.csv").read_text()))
    assert row["claimed_by"] == "'=HYPERLINK(1)" and row["value"] == "3"


def test_images_are_links_not_embedded_trackers() -> None:
    html = render("![a map](https://tracker.example/p.gif)")
    assert "<img" not in html and 'href="https://tracker.example/p.gif"' in html


def test_a_base_url_without_a_scheme_is_wrong_usage(make_site: MakeSite) -> None:
    site = make_site({"content/articles/a.md": article()})
    with pytest.raises(SystemExit) as exit_info:
        main(["build", str(site), "--base-url", "example.org/war"])
    assert exit_info.value.code == 2


def test_a_reader_that_stops_early_gets_no_error(make_site: MakeSite) -> None:
    """`warchive check | head -c1`: the reader closing the pipe ends nothing in error."""
    import subprocess
    import sys

    site = make_site({"content/articles/a.md": article("Piped")})
    process = subprocess.Popen([sys.executable, "-m", "builder", "check", str(site)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command prints
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert b"Broken pipe" not in errors and b"Exception" not in errors, errors


@pytest.mark.parametrize("closed", [1, 2], ids=["stdout", "stderr"])
def test_a_command_started_with_a_stream_closed_ends_as_usual(make_site: MakeSite,
                                                                closed: int) -> None:
    """`warchive check >&-`: Python has no stream to flush there, which is no error."""
    import subprocess
    import sys

    site = make_site({"content/articles/a.md": article("Unheard")})
    done = subprocess.run(["sh", "-c", f'exec {closed}>&-; exec "$0" -m builder check "$1"',
                           sys.executable, str(site)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
