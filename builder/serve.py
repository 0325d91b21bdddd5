"""`warchive serve`: the same build, served on 127.0.0.1, rebuilt on every save.

The last good site stays up: a broken edit shows its problems in the open pages and in
the terminal, and the next good save replaces them with the rebuilt site.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from watchfiles import watch

from . import pipeline, publish, resident, search
from .problems import ContentError, format_all
from .publish import PublishError
from .render import Output
from .search import SearchIndexError

STATUS_PATH = "/__warchive/status"
SCRIPT_PATH = "/__warchive/reload.js"
RELOAD_SCRIPT = """\
// warchive serve: reload when the site is rebuilt; show the problems of a broken edit.
(function () {
  "use strict";
  var seen = null, seenSearch = null;
  function show(problems) {
    var box = document.getElementById("warchive-problems");
    if (!problems) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "warchive-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;" +
        "margin:0;padding:1rem;background:#3b0000;color:#fff;font:14px/1.4 monospace;" +
        "white-space:pre-wrap;z-index:2147483647";
      document.body.appendChild(box);
    }
    box.textContent = "warchive: the last edit has problems; showing the last good site.\\n\\n" +
      problems;
  }
  function poll() {
    fetch("STATUS_PATH", {cache: "no-store"}).then(function (r) { return r.json(); })
    .then(function (s) {
      var searching = document.getElementById("search-query") !== null;
      if ((seen !== null && s.version !== seen) ||
          (searching && seenSearch !== null && s.search !== seenSearch)) {
        window.location.reload();
        return;
      }
      seen = s.version;
      seenSearch = s.search;
      show(s.problems);
    }).catch(function () {}).finally(function () { setTimeout(poll, 300); });
  }
  poll();
})();
""".replace("STATUS_PATH", STATUS_PATH)


@dataclass
class State:
    """What the server tells the pages: the good build's number (pages reload when it
    changes), the search index's (the search page reloads), and the current problems."""

    version: int = 0
    search: int = 0
    problems: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "search": self.search,
                               "problems": self.problems}).encode()


class _Handler(http.server.SimpleHTTPRequestHandler):
    state: State

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == STATUS_PATH:
            self._send(self.state.as_json(), "application/json")
        elif path == SCRIPT_PATH:
            self._send(RELOAD_SCRIPT.encode(), "text/javascript")
        else:
            super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def rebuild(site_dir: Path, out: Path, base_url: str, state: State, drafts: bool,
            plan: search.Plan = search.NOW, memory: resident.Memory | None = None,
            ) -> pipeline.BuildResult | None:
    """One build; on failure the problems are kept for the pages and the old site stays.
    A build called off (`search.Plan.cancel`) reports nothing: the next one follows."""
    try:
        result = pipeline.build(site_dir, out, drafts, base_url, live_reload=SCRIPT_PATH,
                                plan=plan, memory=memory)
    except search.Cancelled:
        return None
    except ContentError as error:
        report = format_all(error.problems)
    except (jinja2.TemplateError, PublishError, SearchIndexError) as error:
        report = str(error)
    else:
        _published(state, result, pages=plan.later or result.written > 0)
        return result
    with state.lock:
        state.problems = report
    print(f"{report}\nkeeping the last good site", file=sys.stderr, flush=True)
    return None


def _published(state: State, result: pipeline.BuildResult, pages: bool) -> None:
    with state.lock:
        state.version += pages
        state.search += not result.unindexed
        state.problems = ""
    waiting = f"; search follows for {', '.join(sorted(result.unindexed))}" * bool(
        result.unindexed)
    print(f"rebuilt: {result.articles} articles, {result.files} files{waiting}", flush=True)


PLACEHOLDER = f"""<!DOCTYPE html>
<html lang="en">
<meta charset="utf-8">
<title>warchive: nothing built yet</title>
<p>The content has problems (listed below and in the terminal), so no site was built.
This page turns into the site at the first good save.</p>
<script src="{SCRIPT_PATH}"></script>
</html>
"""


def _placeholder(out: Path) -> None:
    """What a preview started on broken content serves until its first good build: a page
    that shows the problems and reloads (not a folder listing), published like any site
    so that build can replace it."""
    staged = publish.stage([Output("index.html", PLACEHOLDER.encode())], out)
    publish.swap(staged.path, out)


class Preview:
    """A built site in a temporary folder, its server, and the watcher that rebuilds it."""

    def __init__(self, site_dir: Path, port: int, drafts: bool = True) -> None:
        self.site_dir, self.drafts = site_dir, drafts
        self.out = Path(tempfile.mkdtemp(prefix="warchive-serve-")) / "site"
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), functools.partial(handler, directory=str(self.out)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._unindexed = frozenset[str]()
        """Search parts whose index lags behind their pages."""
        self._indexing: tuple[threading.Thread, threading.Event] | None = None
        self._memory = resident.Memory()
        """The last build's model: a body edit is published from it (`resident`)."""
        self._serving = False
        """Whether the server loop runs: stopped during the first build, it never did."""

    def start(self) -> None:
        if not self.rebuild():
            _placeholder(self.out)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._serving = True

    def rebuild(self) -> bool:
        """Publishes the pages first: the search parts they change keep their old index
        until a background build has indexed them, which the next edit calls off (at 10k
        articles, Pagefind takes about 4 s of a body edit's 4.6)."""
        self._stop_indexing()
        result = rebuild(self.site_dir, self.out, self.url, self.state, self.drafts,
                         search.Plan(later=True, stale=self._unindexed), self._memory)
        if result is not None:
            self._unindexed = result.unindexed
        if result is not None and self._unindexed:  # a broken edit waits for the next save
            cancel = threading.Event()
            thread = threading.Thread(target=self._index, args=(cancel,), daemon=True)
            self._indexing = thread, cancel
            thread.start()
        return result is not None

    def _index(self, cancel: threading.Event) -> None:
        result = rebuild(self.site_dir, self.out, self.url, self.state, self.drafts,
                         search.Plan(stale=self._unindexed, cancel=cancel), self._memory)
        if result is not None:
            self._unindexed = result.unindexed

    def _stop_indexing(self) -> None:
        if self._indexing is not None:
            thread, cancel = self._indexing
            cancel.set()
            thread.join()
            self._indexing = None

    def watch(self, stop: threading.Event) -> None:
        """Rebuilds on every change under content/ and templates/ until `stop` is set."""
        folders = [self.site_dir / "content", self.site_dir / "templates"]
        for _changes in watch(*folders, stop_event=stop, debounce=50, rust_timeout=200):
            self.rebuild()

    def close(self) -> None:
        self._stop_indexing()
        if self._serving:  # shutdown() waits for the loop to end: forever, if it never ran
            self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.out.parent, ignore_errors=True)


def serve(site_dir: Path, port: int, drafts: bool = True) -> None:
    """Serves until Ctrl-C, or a stop from a process manager (SIGTERM)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    preview = Preview(site_dir, port, drafts)
    try:
        preview.start()
        print(f"serving {site_dir.resolve()} at {preview.url} (Ctrl-C stops)", flush=True)
        preview.watch(threading.Event())
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        preview.close()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the server as Ctrl-C does, so its temporary folder is removed."""
    raise KeyboardInterrupt
