"""How long an editor waits in `warchive serve`: from saving an edit to the rebuilt page
being served, and to the search index holding the edit.

    python bench/serve_edit.py SITE_DIR [--edits 3] [--json]

Starts the dev server (builder.serve.Preview) on a free port in this process, lets its
first build finish, then appends a sentence with a unique word to one article, saves, and
polls over HTTP: the article's page until it holds the word, then the server's status
until its search counter moves (the parts holding the edit are indexed in the background
after the pages are published). Repeated --edits times; the article is restored at the
end. The preview's output goes to TMPDIR (set it to a tmpfs, as bench/run.py does).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchkit import restore_edit, start_edit


def _poll(condition: Callable[[], bool], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dev server did not show the edit in time")
        time.sleep(0.02)


def measure(site: Path, edits: int) -> dict[str, Any]:
    from builder.serve import STATUS_PATH, Preview

    started = time.perf_counter()
    preview = Preview(site, 0)
    preview.start()
    first = time.perf_counter() - started
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,))
    watcher.start()

    def get(path: str) -> str:
        with urllib.request.urlopen(preview.url + path.lstrip("/"), timeout=30) as response:
            return str(response.read().decode())

    def searches() -> int:
        return int(json.loads(get(STATUS_PATH))["search"])

    article = start_edit(site)
    page = f"articles/{article.stem}/"
    shown, indexed = [], []
    try:
        time.sleep(1)  # the watcher subscribes
        _poll(lambda: preview._indexing is None or not preview._indexing[0].is_alive())
        for number in range(edits):
            word, before = f"benchword{number}x{time.time_ns()}", searches()
            with article.open("a", encoding="utf-8") as handle:
                handle.write(f"\nOne more sentence, with {word} in it.\n")
            saved = time.perf_counter()
            _poll(lambda word=word: word in get(page))  # type: ignore[misc]
            shown.append(time.perf_counter() - saved)
            _poll(lambda before=before: searches() > before)  # type: ignore[misc]
            indexed.append(time.perf_counter() - saved)
            time.sleep(1)
    finally:
        stop.set()
        watcher.join()
        preview.close()
        restore_edit(site)
    return {"first_build_s": first, "page_s": shown, "search_s": indexed,
            "page_median_s": statistics.median(shown),
            "search_median_s": statistics.median(indexed)}


def markdown(result: dict[str, Any]) -> str:
    return (f"`warchive serve`, one article edited (median of {len(result['page_s'])}): "
            f"page served {result['page_median_s']:.2f} s after the save, search index "
            f"updated {result['search_median_s']:.2f} s after it (first build "
            f"{result['first_build_s']:.1f} s)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.site, args.edits)
    print(json.dumps(result) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
