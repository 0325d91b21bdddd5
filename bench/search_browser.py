"""Search on a built warchive site in headless Chromium: time to first result, bytes fetched.

    python bench/search_browser.py [--size 10000] [--runs 3] [--query WORDS ...] [--rebuild]
                                   [--out BUILT_SITE] [--sort newest|oldest]

Serves the site built by bench/run.py (WORK/out-N/warchive; built here when missing; or the
site already built in --out, searched with the corpus's place names all the same) with
Python's http.server on a free 127.0.0.1 port, opens /search/ and searches for the most
mentioned place of the corpus and the least mentioned one (or --query). Per query:

- page load -> first result: a fresh browser context navigates to /search/ and fills the
  query in one input event as soon as the box exists; milliseconds from navigation start
  to the first `.result-link` in the page, and every byte fetched until the
  network is idle again.
- last keystroke -> first result, on a loaded page (network idle): the query typed at
  60 ms a key; bytes fetched from the first keystroke until the network is idle.
- the same for a second search in that page (after the other query, box cleared).

With --sort (date order): the fresh page opens the address a shared date-ordered search has,
/search/?q=QUERY&sort=ORDER, and counts from navigation start (no input event, no debounce);
on the loaded page, that order is chosen in the sort select before typing.

Times come from the page's own clock (performance.now() at the last `input` event and
when a MutationObserver first sees a result link); they include search.js's 150 ms
debounce. The longest task is the longest main-thread task Chromium reports ('longtask'
entries, 50 ms or more; 0 when none) from navigation or from the first keystroke until
the network is idle.

Bytes are response bodies as the server sent them (http.server sends them uncompressed;
Pagefind's index files are compressed by Pagefind itself), counted by the server: they
include what a Web Worker fetches and its own script, and leave out what the browser
answered from its cache. "KB gzip" is what a server compressing text responses would send
instead: each body of a textual type (HTML, CSS, JavaScript, JSON, WebAssembly) gzipped at
level 6, the rest as sent.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import re
import statistics
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml
from benchkit import BenchError, build_warchive, corpus_dir, out_dir, prepare_site
from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
INPUT = "#search-query"
ORDER = "#search-sort"
SORTS = ("newest", "oldest")
"""The date orders of search.js's sort select (its first option, best match, is the default)."""
RESULT = ".result-link"
KEY_DELAY_MS = 60
# A page opened with a query in its address searches without an input event: its clock
# starts at navigation (performance.now() counts from there).
PROBE = """
const fromAddress = new URLSearchParams(location.search).has("q") ? 0 : null;
window.__bench = {lastInput: fromAddress, firstResult: null, longestTask: 0};
document.addEventListener("input", () => {
  window.__bench.lastInput = performance.now();
  window.__bench.firstResult = null;
}, true);
if (PerformanceObserver.supportedEntryTypes.includes("longtask")) {
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) {
      window.__bench.longestTask = Math.max(window.__bench.longestTask, task.duration);
    }
  }).observe({type: "longtask"});
}
new MutationObserver(() => {
  const b = window.__bench;
  if (b.lastInput !== null && b.firstResult === null && document.querySelector("RESULT")) {
    b.firstResult = performance.now();
  }
}).observe(document, {childList: true, subtree: true});
""".replace("RESULT", RESULT)


@dataclass(frozen=True)
class Sample:
    ms: float
    bytes: int
    requests: int
    gzip_bytes: int
    longest_task_ms: float


COMPRESSIBLE = re.compile(r"text/|javascript|json|xml|wasm")


class Traffic:
    """Every response body the server sent, counted from a mark. Counted by the server, not
    the browser: Chromium reports no body size for a Web Worker's own script (Pagefind's
    pagefind-worker.js), and a request answered from the browser cache never reaches it."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int]] = []
        """(bytes as sent, bytes as a gzipping server would send them) per response."""
        self.start = 0
        self.lock = threading.Lock()

    def record(self, body: bytes, content_type: str) -> None:
        # Pagefind's index files (.pagefind, .pf_*) go out as application/octet-stream and
        # are gzipped by Pagefind already; a server compresses textual types only.
        packed = len(gzip.compress(body, 6)) if COMPRESSIBLE.search(content_type) else len(body)
        with self.lock:
            self.sent.append((len(body), min(packed, len(body))))

    def mark(self) -> None:
        with self.lock:
            self.start = len(self.sent)

    def since_mark(self) -> tuple[int, int, int]:
        """Bytes as sent, responses, and bytes as a gzipping server would send them."""
        with self.lock:
            sent = self.sent[self.start:]
        return sum(raw for raw, _ in sent), len(sent), sum(packed for _, packed in sent)


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, Traffic]]:
    traffic = Traffic()

    class Counting(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def copyfile(self, source: Any, outputfile: Any) -> None:
            body = source.read()
            outputfile.write(body)
            traffic.record(body, self.guess_type(urlsplit(self.path).path))

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Counting, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        server.server_close()


def wait_first_result(page: Page) -> float:
    """Milliseconds from the last input event to the first result link."""
    page.wait_for_function("window.__bench.firstResult !== null", timeout=60_000)
    probe: dict[str, float] = page.evaluate("window.__bench")
    return probe["firstResult"] - probe["lastInput"]


def settle(page: Page, traffic: Traffic, ms: float) -> Sample:
    """Once the network is idle: the bytes since the mark and the longest task seen."""
    page.wait_for_load_state("networkidle")
    longest: float = page.evaluate("window.__bench.longestTask")
    return Sample(ms, *traffic.since_mark(), longest)


def page_load_search(context: BrowserContext, traffic: Traffic, url: str, query: str,
                     sort: str | None) -> tuple[Sample, int]:
    """Fresh page: navigation start to first result; and the number of matches shown.

    Best match: the query filled in as soon as the box exists. A date order: the address
    of a shared search, the query and the order in it."""
    page = context.new_page()
    traffic.mark()
    if sort:
        page.goto(f"{url}?{urlencode({'q': query, 'sort': sort})}", wait_until="commit")
    else:
        page.goto(url, wait_until="commit")
        page.locator(INPUT).fill(query)
    ms = wait_first_result(page)
    message = page.locator("#search-status").inner_text()
    found = re.search(r"[\d,]+", message)
    return settle(page, traffic, ms), int(found.group().replace(",", "")) if found else 0


def typed_search(page: Page, traffic: Traffic, query: str) -> Sample:
    box = page.locator(INPUT)
    if box.input_value():
        box.fill("")
        page.wait_for_function(f"!document.querySelector('{RESULT}')", timeout=30_000)
        page.wait_for_load_state("networkidle")
    traffic.mark()
    page.evaluate("window.__bench.longestTask = 0")
    box.press_sequentially(query, delay=KEY_DELAY_MS)
    return settle(page, traffic, wait_first_result(page))


def loaded_page_searches(context: BrowserContext, traffic: Traffic, url: str, first: str,
                         second: str, sort: str | None) -> tuple[Sample, Sample]:
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.locator(INPUT).wait_for()
    if sort:
        # With the box empty, choosing an order searches nothing (and loads no index).
        page.locator(ORDER).select_option(sort)
    return typed_search(page, traffic, first), typed_search(page, traffic, second)


def scenarios(sort: str | None) -> tuple[str, str, str]:
    first = (f"open /search/?q=QUERY&sort={sort} -> first result (fresh browser)" if sort
             else "page load -> first result (fresh browser)")
    return (first, "last keystroke -> first result, first search on a loaded page",
            "last keystroke -> first result, second search in that page")


def measure(url: str, traffic: Traffic, queries: list[str], runs: int,
            sort: str | None) -> list[tuple[str, int, str, Sample]]:
    samples: dict[tuple[str, str], list[Sample]] = {}
    matches: dict[str, int] = {}
    names = scenarios(sort)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            for i, query in enumerate(queries):
                other = queries[i - 1] if len(queries) > 1 else query
                with fresh(browser) as context:
                    sample, matches[query] = page_load_search(context, traffic, url, query,
                                                              sort)
                    samples.setdefault((query, names[0]), []).append(sample)
                with fresh(browser) as context:
                    one, two = loaded_page_searches(context, traffic, url, other, query, sort)
                    samples.setdefault((other, names[1]), []).append(one)
                    samples.setdefault((query, names[2]), []).append(two)
        browser.close()
    return [(query, matches[query], scenario, median(samples[query, scenario]))
            for query in queries for scenario in names]


@contextmanager
def fresh(browser: Any) -> Iterator[BrowserContext]:
    """A new context: empty cache, the timing probe installed."""
    context: BrowserContext = browser.new_context()
    context.add_init_script(PROBE)
    try:
        yield context
    finally:
        context.close()


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.ms for s in samples),
                  int(statistics.median(s.bytes for s in samples)),
                  int(statistics.median(s.requests for s in samples)),
                  int(statistics.median(s.gzip_bytes for s in samples)),
                  statistics.median(s.longest_task_ms for s in samples))


def default_queries(site: Path) -> list[str]:
    """The corpus's most mentioned place (Zipf rank 1) and its least mentioned one."""
    places = yaml.safe_load((site / "content" / "places.yaml").read_text(encoding="utf-8"))
    return [places[0]["name"], places[-1]["name"]]


def table(rows: list[tuple[str, int, str, Sample]], size: int, runs: int,
          sort: str | None) -> str:
    order = f"sorted {sort} first" if sort else "best match"
    lines = [f"Search in Chromium, {size:,}-article warchive site, {order}, "
             f"median of {runs} run(s)", "",
             "| query (matches) | what | to first result, ms | KB fetched | KB gzip "
             "| requests | longest task, ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {query} ({found:,}) | {scenario} | {s.ms:.0f} | {s.bytes / 1000:.0f} "
              f"| {s.gzip_bytes / 1000:.0f} | {s.requests} | {s.longest_task_ms:.0f} |"
              for query, found, scenario, s in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", action="append", help="a query (repeatable)")
    parser.add_argument("--rebuild", action="store_true", help="build the site even if present")
    parser.add_argument("--out", type=Path, help="search this built site instead (not rebuilt)")
    parser.add_argument("--sort", choices=SORTS,
                        help="search in this date order instead of best match")
    args = parser.parse_args(argv)
    site, out = corpus_dir(args.size), args.out or out_dir(args.size, "warchive")
    if args.out and not any((out / "pagefind").glob("*/pagefind-entry.json")):
        raise BenchError(f"{out} holds no built search index")
    if not args.out and (args.rebuild
                         or not any((out / "pagefind").glob("*/pagefind-entry.json"))):
        print(f"building {out}", flush=True)
        build_warchive(prepare_site(args.size), out)
    elif not (site / "content" / "places.yaml").is_file():
        prepare_site(args.size)  # the corpus, for its place names
    queries = args.query or default_queries(site)
    with serve(out) as (root, traffic):
        rows = measure(f"{root}/search/", traffic, queries, args.runs, args.sort)
    print(table(rows, args.size, args.runs, args.sort))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
