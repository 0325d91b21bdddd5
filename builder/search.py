"""Pagefind over the staging folder, so the published site never lacks its index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]

from .publish import Staged

FOLDER = "pagefind"
INDEXED_MARK = b"data-pagefind-body"
"""Pages holding this are the ones Pagefind indexes (the articles)."""


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


def is_current(out: Path, staged: Staged, language: str) -> bool:
    """True when the published index already covers exactly the staged pages.

    No indexed page was written afresh (every one is byte-identical to the published
    copy), and the published index holds as many pages, in the same language.
    """
    if staged.changed:
        return False
    try:
        entry = json.loads((out / FOLDER / "pagefind-entry.json").read_text())
        languages = entry["languages"]
        pages = sum(int(part["page_count"]) for part in languages.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return set(languages) == {language} and pages == staged.watched
