"""A small site built for the browser tests, and a static server for it on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from builder import model, pipeline

from .conftest import article, write_site

ARTICLES = {
    "content/articles/2024/05/grain-corridor.md": article(
        "Grain ships leave Chornomorsk under escort", "2024-05-02",
        "Port officials in Chornomorsk counted nine bulk carriers in the report.",
        people="[Zelenskyy]", places="[Ukraine]", topics="[casualties]"),
    "content/articles/2025/01/energy-grid.md": article(
        "Drones strike the energy grid overnight", "2025-01-10",
        "Repair crews restored power to most districts, the report said.",
        people="[Volodymyr Zelensky]", places="[Ukraine]", topics="[casualties]"),
    "content/articles/2025/02/kursk-fighting.md": article(
        "Fighting resumes near Sudzha", "2025-02-08",
        "Commanders described renewed assaults in the report from the front.",
        people="[Oleksandr Syrskyi]", places="[Kursk]", topics="[North Korean troops]",
        claims="\n  - subject: troops\n    value: 11000\n    claimed_by: Oleksandr Syrskyi\n"
               "    kind: party\n    as_of: 2025-02-07\n    wording: about 11,000",
        updates="\n  - date: 2025-02-09\n    note: Corrected the date of the assault."),
    "content/claims.yaml": "- slug: troops\n  label: Troops deployed\n  unit: soldiers\n",
    "content/about.md": "## How we curate\n\nEvery entry links to its source.\n",
    "content/articles/2023/11/kharkiv-shelter.md": article(
        '"Харків: школа в укритті"', "2023-11-20",
        "Учні Харкова навчаються в підземній школі, пише кореспондент у своєму звіті.",
        lang="uk", summary="Підземна школа в Харкові.", people="[]", places="[Україна]",
        topics="[]"),
}


def build_browser_site(root: Path, base_path: str = "/") -> Path:
    """Builds the site with its search index into `root` + `base_path`; returns the root."""
    site = write_site(root / "src", ARTICLES)
    out = root / "www" / base_path.strip("/") if base_path.strip("/") else root / "www"
    out.parent.mkdir(parents=True, exist_ok=True)
    # One article per search part, so every browser test also proves that the search page
    # merges parts into the order and filters of a single index.
    with mock.patch.object(model, "PART_LIMIT", 1):
        pipeline.build(site, out=out, base_url=f"http://127.0.0.1{base_path}")
    return root / "www"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serves `folder` on a free port of 127.0.0.1; yields the origin."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
