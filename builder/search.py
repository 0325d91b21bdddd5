"""Pagefind over the staging folder, so the published site never lacks its index."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]


class SearchIndexError(Exception):
    """Pagefind failed; the old site stays published."""


def index(staging: Path, language: str) -> None:
    """Indexes the pages marked `data-pagefind-body` (the articles) into staging/pagefind/.

    Every page goes into one index in the site's language: Pagefind would otherwise split
    the index by each page's `lang`, and the search page would never find an article
    written in another language. The cost is stemming: only the site language's.
    """
    command = [str(get_executable()), "--site", str(staging), "--silent",
               "--force-language", language]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()}")
