"""Pagefind over the staging folder, so the published site never lacks its index."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]


class SearchIndexError(Exception):
    """Pagefind failed; the old site stays published."""


def index(staging: Path) -> None:
    """Indexes the pages marked `data-pagefind-body` (the articles) into staging/pagefind/."""
    command = [str(get_executable()), "--site", str(staging), "--silent"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()}")
