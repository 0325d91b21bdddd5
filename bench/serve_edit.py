"""How long an editor waits in `warchive serve`: from saving an edit to the rebuilt page
being served, and to the search index holding the edit.

    python bench/serve_edit.py SITE_DIR [--edits 3] [--json]

Starts `warchive serve SITE_DIR --port 0` (the installed command, in its own process, as
an editor would), waits for its first build, then adds a unique word to one article,
saves, and polls over HTTP every 50 ms, as a browser would: the article's page until it
holds the word, then the server's status until its search counter moves (the parts
holding the edit are indexed in the background after the pages are published). Two kinds
of edit: a sentence appended to the body, and a word added to the summary in the front
matter. Each is repeated --edits times; the article is restored at the end. The preview's
output goes to TMPDIR (set it to a tmpfs, as bench/run.py does).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchkit import restore_edit, start_edit, warchive

STATUS_PATH = "/__warchive/status"
"""Where `warchive serve` tells its pages of rebuilds (builder.serve.STATUS_PATH)."""


def _poll(condition: Callable[[], bool], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dev server did not show the edit in time")
        time.sleep(0.05)


def measure(site: Path, edits: int) -> dict[str, Any]:
    started = time.perf_counter()
    server = subprocess.Popen([str(warchive()), "serve", str(site), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=_hear_ctrl_c)
    try:
        url = _served_at(server)
        first = time.perf_counter() - started
        return {"first_build_s": first, **_edits(site, url, edits)}
    except BaseException:
        traceback.print_exc()  # before the clean-up, which could fail too
        raise
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C, as an editor stops it
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            print("warchive serve did not stop within 60 s of Ctrl-C", file=sys.stderr)
        restore_edit(site)


def _hear_ctrl_c() -> None:
    """A bench started in the background (`cmd &`) ignores Ctrl-C, and so would the
    server it starts: it would never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _served_at(server: subprocess.Popen[str]) -> str:
    """The address `warchive serve` prints once its first build is published."""
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("serving "):
            threading.Thread(target=server.stdout.read, daemon=True).start()  # drain it
            return line.split(" at ")[1].split()[0]
    raise RuntimeError(f"warchive serve stopped ({server.wait()}) before serving")


EDIT_KINDS = ("body", "summary")
"""A sentence appended to the body (the preview publishes it from the model it kept), and
a word added to the front matter's summary (a full rebuild of the changed pages)."""


def _edits(site: Path, url: str, edits: int) -> dict[str, Any]:
    def get(path: str) -> str:
        with urllib.request.urlopen(url + path.lstrip("/"), timeout=30) as response:
            return str(response.read().decode())

    def searches() -> int:
        return int(json.loads(get(STATUS_PATH))["search"])

    article = start_edit(site)
    page = f"articles/{article.stem}/"
    timings: dict[str, dict[str, list[float]]] = {
        kind: {"page_s": [], "search_s": []} for kind in EDIT_KINDS}
    time.sleep(1)  # the watcher subscribes
    for number in range(edits):
        for kind in EDIT_KINDS:
            word, before = f"benchword{number}{kind}x{time.time_ns()}", searches()
            _edit(article, kind, word)
            saved = time.perf_counter()
            _poll(lambda word=word: word in get(page))  # type: ignore[misc]
            timings[kind]["page_s"].append(time.perf_counter() - saved)
            _poll(lambda before=before: searches() > before)  # type: ignore[misc]
            timings[kind]["search_s"].append(time.perf_counter() - saved)
            time.sleep(1)
    return {kind: {**found, **{f"{name.removesuffix('_s')}_median_s": statistics.median(times)
                               for name, times in found.items()}}
            for kind, found in timings.items()}


def _edit(article: Path, kind: str, word: str) -> None:
    text = article.read_text(encoding="utf-8")
    if kind == "body":
        text += f"\nOne more sentence, with {word} in it.\n"
    else:
        head, marker, rest = text.partition("\nsummary: ")
        if not marker or rest[:1] in "\"'|>":
            raise RuntimeError(f"{article}: no plain 'summary:' line to add a word to")
        line, _, tail = rest.partition("\n")
        text = f"{head}{marker}{line} Revised {word}.\n{tail}"
    article.write_text(text, encoding="utf-8")


def markdown(result: dict[str, Any]) -> str:
    times = "; ".join(f"{kind} edited, page served {result[kind]['page_median_s']:.2f} s "
                      f"and search index updated {result[kind]['search_median_s']:.2f} s "
                      "after the save" for kind in EDIT_KINDS)
    return (f"`warchive serve`, one article (median of {len(result['body']['page_s'])} "
            f"edits of each kind): {times} (first build {result['first_build_s']:.1f} s)")


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
