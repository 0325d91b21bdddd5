"""Search as readers use it: headless Chromium against the built site on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import pipeline

from .browser_site import ARTICLES, build_browser_site, serve
from .conftest import IN_CI, ROOT, write_site

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require(ok: bool, why: str) -> None:
    if not ok:
        (pytest.fail if IN_CI else pytest.skip)(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(build_browser_site(tmp_path_factory.mktemp("browser"))) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def results(page: Any, minimum: int = 1) -> list[str]:
    """Titles of the results shown, once at least `minimum` are there."""
    page.wait_for_function("n => document.querySelectorAll('.result-link').length"
                           " >= n", arg=minimum, timeout=10_000)
    return [t.strip() for t in page.locator(".result-link").all_inner_texts()]


def axe_violations(page: Any, url: str) -> list[tuple[str, str, list[Any]]]:
    """WCAG 2.1 A and AA violations axe-core finds on the page, once its search has run."""
    _require(AXE.exists(), f"{AXE} is missing (npm ci)")
    page.goto(url)
    if "q=" in url:
        results(page)
    page.add_script_tag(path=str(AXE))
    report = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in report["violations"]]


def search(page: Any, origin: str, query: str, path: str = "/search/", extra: str = "") -> None:
    page.goto(f"{origin}{path}?q={query}{extra}")


def test_a_rare_word_finds_its_article_first_and_the_click_opens_it(page: Any,
                                                                    origin: str) -> None:
    search(page, origin, "Chornomorsk")
    assert results(page)[0] == "Grain ships leave Chornomorsk under escort"
    with page.expect_navigation() as navigation:
        page.locator(".result-link").first.click()
    assert navigation.value.status == 200
    assert page.locator("h1").inner_text() == "Grain ships leave Chornomorsk under escort"
    assert page.errors == []


def test_an_alias_absent_from_the_text_finds_the_tagged_article(page: Any, origin: str) -> None:
    for spelling in ("Зеленський", "Zelenskiy"):
        search(page, origin, spelling)
        assert set(results(page, 2)) == {"Grain ships leave Chornomorsk under escort",
                                          "Drones strike the energy grid overnight"}


def test_the_person_filter_narrows_to_articles_naming_that_person(page: Any,
                                                                  origin: str) -> None:
    search(page, origin, "report")
    assert len(results(page, 3)) == 3
    page.locator("#search-filter-panel > summary").click()
    person = page.locator("#search-filters summary", has_text="person")
    try:
        person.wait_for(timeout=15_000)
    except Exception as error:  # show what the reader would have seen
        panel = page.locator("#search-filters").inner_html()[:2000]
        raise AssertionError(f"no person filter; errors {page.errors}; panel: {panel}") from error
    person.click()
    page.get_by_label("Volodymyr Zelensky").check()
    page.wait_for_function("document.querySelectorAll('.result-link').length == 2")
    assert set(results(page, 2)) == {"Grain ships leave Chornomorsk under escort",
                                     "Drones strike the energy grid overnight"}


def test_newest_first_orders_by_date(page: Any, origin: str) -> None:
    search(page, origin, "report", extra="&sort=newest")
    assert results(page, 3) == ["Fighting resumes near Sudzha",
                                "Drones strike the energy grid overnight",
                                "Grain ships leave Chornomorsk under escort"]
    page.select_option("#search-sort", "oldest")
    page.wait_for_function("document.querySelector('.result-link')?.textContent"
                           ".startsWith('Grain')")
    assert "sort=oldest" in page.url and "q=report" in page.url
    assert results(page, 3) == ["Grain ships leave Chornomorsk under escort",
                                "Drones strike the energy grid overnight",
                                "Fighting resumes near Sudzha"]


def test_the_home_search_box_lands_on_the_search_page(page: Any, origin: str) -> None:
    page.goto(origin + "/")
    page.fill("#site-search", "Sudzha")
    page.press("#site-search", "Enter")
    page.wait_for_url("**/search/?q=Sudzha")
    assert results(page)[0] == "Fighting resumes near Sudzha"


def test_a_ukrainian_article_is_found_by_a_ukrainian_word(page: Any, origin: str) -> None:
    search(page, origin, "підземній")
    assert results(page) == ["Харків: школа в укритті"]


def test_search_works_from_a_sub_path(browser: Any,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    root = build_browser_site(tmp_path_factory.mktemp("subpath"), "/war/")
    with serve(root) as origin:
        page = browser.new_page()
        search(page, origin, "Sudzha", path="/war/search/")
        assert results(page)[0] == "Fighting resumes near Sudzha"
        with page.expect_navigation() as navigation:
            page.locator(".result-link").first.click()
        assert navigation.value.status == 200 and page.url.startswith(origin + "/war/")
        page.close()


@pytest.mark.parametrize("path", ["/", "/articles/kursk-fighting/", "/people/",
                                  "/people/volodymyr-zelensky/", "/places/kursk-oblast/",
                                  "/archive/", "/archive/2025/", "/archive/2025/02/",
                                  "/claims/", "/claims/troops/", "/sources/",
                                  "/sources/test-wire/", "/updates/", "/about/",
                                  "/search/?q=report", "/404.html"])
def test_pages_have_no_accessibility_violations_or_console_errors(page: Any, origin: str,
                                                                  path: str) -> None:
    assert axe_violations(page, origin + path) == []
    assert page.errors == []


def test_the_preview_shows_a_broken_edit_in_the_page_then_reloads_when_fixed(
        browser: Any, tmp_path: Path) -> None:
    import threading

    from builder.serve import Preview

    from .conftest import article, write_site

    site = write_site(tmp_path / "site", {"content/articles/live.md": article("Live title")})
    preview = Preview(site, 0)
    preview.start()
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,))
    watcher.start()
    page = browser.new_page()
    try:
        page.goto(preview.url + "articles/live/")
        page.wait_for_timeout(500)  # the reload script has polled once
        (site / "content/articles/live.md").write_text("---\ntitle: [broken\n---\n")
        problems = page.locator("#warchive-problems")
        problems.wait_for(timeout=5_000)
        assert "live.md:3: invalid YAML" in problems.inner_text()
        assert page.locator("h1").inner_text() == "Live title", "the last good site stays"
        (site / "content/articles/live.md").write_text(article("Fixed title"))
        page.wait_for_function("document.querySelector('h1')?.textContent === 'Fixed title'",
                               timeout=5_000)
        assert page.locator("#warchive-problems").count() == 0
    finally:
        page.close()
        stop.set()
        watcher.join(timeout=5)
        preview.close()


@pytest.mark.parametrize("path", ["/", "/articles/kursk-fighting/", "/claims/troops/",
                                  "/search/?q=report"])
def test_dark_mode_keeps_wcag_contrast(page: Any, origin: str, path: str) -> None:
    page.emulate_media(color_scheme="dark")
    assert axe_violations(page, origin + path) == []


def test_filters_in_the_address_are_applied_on_load(page: Any, origin: str) -> None:
    search(page, origin, "report", extra="&person=Volodymyr%20Zelensky&sort=newest")
    page.wait_for_function("document.querySelectorAll('.result-link').length === 2")
    assert results(page, 2) == ["Drones strike the energy grid overnight",
                                "Grain ships leave Chornomorsk under escort"]
    assert page.get_by_label("Volodymyr Zelensky").is_checked()
    assert page.errors == []


@pytest.fixture(scope="module")
def one_index_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same articles indexed as a single Pagefind bundle (the fixture site has one
    bundle an article): what the search page must answer over the merged parts."""
    root = tmp_path_factory.mktemp("one-index")
    pipeline.build(write_site(root / "src", ARTICLES), out=root / "www",
                   base_url="http://127.0.0.1/")
    with serve(root / "www") as url:
        yield url


def bundles(page: Any) -> list[str]:
    return str(page.locator("#search").get_attribute("data-bundles")).split()


def answer(page: Any, origin: str, address: str) -> tuple[str, list[str], list[str]]:
    """What a reader sees once the search at `address` has settled, with the filters open:
    the status, the titles listed (in order) and every filter value with its count."""
    page.goto(f"{origin}/search/{address}")
    if not page.locator("#search-filter-panel").evaluate("panel => panel.open"):
        page.locator("#search-filter-panel > summary").click()
    page.wait_for_function("""() => {
        const found = /^(\\d+) article/.exec(document.querySelector('#search-status').textContent);
        return found && document.querySelectorAll('.result-link').length
            === Math.min(Number(found[1]), 10) && document.querySelector('#search-filters label');
    }""", timeout=10_000)
    page.wait_for_load_state("networkidle")
    labels = page.locator("#search-filters label").evaluate_all(
        "labels => labels.map(label => label.textContent)")
    return page.locator("#search-status").inner_text(), results(page), labels


@pytest.mark.parametrize("address", [
    "?q=report", "?q=report&sort=newest", "?q=report&sort=oldest", "?q=Zelenskiy",
    "?q=report&sort=oldest&person=Volodymyr%20Zelensky", "?year=2025&sort=newest",
    "?q=report&place=Ukraine"])
def test_parts_answer_as_one_index_would(page: Any, origin: str, one_index_origin: str,
                                         address: str) -> None:
    """Same articles, counts of every filter value and date order. Not the same order by
    best match: Pagefind scores a page against its own bundle's statistics (pages holding
    the word, average length), which differ between a part and the whole archive."""
    merged = answer(page, origin, address)
    assert len(bundles(page)) == 4
    single = answer(page, one_index_origin, address)
    assert len(bundles(page)) == 1
    if "sort=" not in address:
        merged, single = [(status, sorted(titles), labels)
                          for status, titles, labels in (merged, single)]
    assert merged == single
    assert page.errors == []


def test_one_pagefind_and_one_wasm_serve_every_part(page: Any, origin: str) -> None:
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    search(page, origin, "report")
    results(page, 3)
    page.wait_for_load_state("networkidle")
    names = [url.split("?")[0].rsplit("/", 1)[1] for url in fetched if "/pagefind/" in url]
    assert len([name for name in names if name.endswith(".pf_meta")]) == len(bundles(page)) == 4
    assert sorted(name for name in names if name.endswith((".js", ".pagefind"))) == [
        "pagefind.js", "wasm.en.pagefind"], "one module and one wasm for all parts, no worker"


@pytest.fixture(scope="module")
def many_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """25 reports over three years, in three index parts: more than a page of results."""
    from unittest import mock

    from builder import model

    from .conftest import article

    root = tmp_path_factory.mktemp("many")
    site = write_site(root / "src", {
        f"content/articles/{2022 + i % 3}/r{i:02d}.md": article(
            f"Dispatch number {i:02d}", f"{2022 + i % 3}-{1 + i % 12:02d}-{1 + i:02d}",
            "A dispatch from the front in the series.") for i in range(25)})
    with mock.patch.object(model, "PART_LIMIT", 10):
        pipeline.build(site, out=root / "www")
    with serve(root / "www") as url:
        yield url


def test_more_results_come_once_each_in_date_order_however_fast_one_clicks(
        page: Any, many_origin: str) -> None:
    search(page, many_origin, "dispatch", extra="&sort=newest")
    assert len(results(page, 10)) == 10
    page.evaluate("() => { const more = document.getElementById('search-more');"
                  " more.click(); more.click(); more.click(); }")
    results(page, 25)
    page.wait_for_timeout(300)  # a doubled page would arrive now
    titles = [t.strip() for t in page.locator(".result-link").all_inner_texts()]
    newest_first = sorted(range(25), key=lambda i: (2022 + i % 3, 1 + i % 12, 1 + i),
                          reverse=True)
    assert titles == [f"Dispatch number {i:02d}" for i in newest_first]
