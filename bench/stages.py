"""One cold warchive build in this process, timed stage by stage, or profiled with cProfile.

    python bench/stages.py SITE_DIR OUT_DIR [--json]
    python bench/stages.py SITE_DIR OUT_DIR --profile FILE

The output folder and the parse cache are deleted first. The stages are those
`builder.pipeline.build()` composes: read the sources, parse and validate them
(`pipeline.load`, which reads them again, so its time here is load minus read; it parses
on every core and writes the parse cache), render every page (`render.render_site`, kept
in a list so that writing is timed alone), write the staging folder (`publish.stage`),
Pagefind (`search.Indexer`, every part, here after staging), swap (`publish.swap`). The
index stage also reports Pagefind's own CPU time (its processes' rusage): spread over
every core, the least wall time any build running it could take. The builder's
internals may move: a call that no longer fits stops the breakdown with a StageError
naming the call.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = ("read", "parse+validate", "render", "write", "index", "swap")


class StageError(Exception):
    """The builder's internal API no longer matches what this breakdown calls."""


def _call(name: str, function: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    try:
        result = function(*args)
    except Exception as error:
        raise StageError(f"stage breakdown: {name} raised {type(error).__name__}: {error}\n"
                         "(if the builder's internals moved, adapt bench/stages.py)") from error
    return result, time.perf_counter() - start


def _builder() -> Any:
    try:
        from builder import pipeline, publish, render, search
    except ImportError as error:
        raise StageError(f"stage breakdown: cannot import builder ({error}); "
                         "run with the venv where warchive is installed") from error
    return pipeline, publish, render, search


def _staged(result: Any) -> tuple[Path, int]:
    """The staging folder and file count, from `publish.stage`'s tuple or its Staged record."""
    if isinstance(result, tuple):
        return Path(result[0]), int(result[1])
    try:
        return Path(result.path), int(result.files)
    except AttributeError as error:
        raise StageError(f"stage breakdown: publish.stage returned {result!r}, with no "
                         "staging path in it; adapt bench/stages.py") from error


def make_cold(site: Path, out: Path) -> None:
    """Deletes the output and the parse cache, as a cold build from the command line does."""
    try:
        from builder.cache import CACHE_DIR as cache_dir
    except ImportError:
        cache_dir = ".warchive-cache"
    shutil.rmtree(site / cache_dir, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def stage_times(site: Path, out: Path) -> dict[str, Any]:
    """Seconds per stage of one cold build of `site` into `out`, plus what was built."""
    pipeline, publish, render, search = _builder()
    make_cold(site, out)
    (_sources, problems), read = _call("pipeline.read_sources", pipeline.read_sources, site)
    if problems:
        raise StageError(f"the site has problems: {problems[:3]}")
    loaded, load = _call("pipeline.load", pipeline.load, site)

    def render_all() -> list[Any]:
        return list(render.render_site(loaded.site, loaded.sources.templates))

    def assets() -> list[Any]:
        return [render.Output(path, data) for path, data in sorted(loaded.sources.assets.items())]

    outputs, rendered = _call("render.render_site", render_all)
    outputs += _call("render.Output (assets)", assets)[0]
    _call("publish.check_out_dir", publish.check_out_dir, out, site)
    staged, write = _call("publish.stage", publish.stage, outputs, out)
    staging, files = _staged(staged)
    language = loaded.site.settings.language
    parts = [search.Part(name, tuple(e.route.output for e in entries))
             for name, entries in loaded.site.search_parts()]

    def index_all() -> None:
        """Every part, after staging (a build indexes while it stages: timed apart here)."""
        indexer = search.Indexer(out, parts, language)
        try:
            for path in staged.paths:
                indexer.page_staged(path, True)
            indexer.finish()
        finally:
            indexer.close()

    before = _children_cpu()
    _, indexed = _call("search.Indexer", index_all)
    pagefind_cpu = _children_cpu() - before
    _, swapped = _call("publish.swap", publish.swap, staging, out)
    seconds = dict(zip(STAGES, (read, load - read, rendered, write, indexed, swapped),
                       strict=True))
    return {"seconds": seconds, "files": files, "articles": len(loaded.site.entries),
            "pagefind_cpu": pagefind_cpu, "cores": len(os.sched_getaffinity(0))}


def _children_cpu() -> float:
    """User + system seconds of the ended child processes: the Pagefind runs, here."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def profile_build(site: Path, out: Path, report: Path, top: int = 40) -> None:
    """cProfile of `pipeline.build`, the top functions by cumulative then own time.

    On one process (WARCHIVE_WORKERS=1): cProfile cannot see into worker processes.
    """
    os.environ["WARCHIVE_WORKERS"] = "1"
    pipeline = _builder()[0]
    make_cold(site, out)
    profiler = cProfile.Profile()
    try:
        profiler.runcall(pipeline.build, site, out)
    except Exception as error:
        raise StageError(f"profile: pipeline.build(site, out) raised {type(error).__name__}: "
                         f"{error}\n(if the builder's internals moved, adapt bench/stages.py)"
                         ) from error
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write(f"cProfile of one cold in-process warchive build of {site}, on one process "
               "(WARCHIVE_WORKERS=1).\nPagefind runs as a child process: its time shows as "
               "waiting in subprocess (select.poll).\n\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text.getvalue(), encoding="utf-8")


def markdown(result: dict[str, Any]) -> str:
    seconds: dict[str, float] = result["seconds"]
    total = sum(seconds.values())
    lines = ["| stage | s | share |", "|---|---:|---:|"]
    lines += [f"| {name} | {s:.2f} | {100 * s / total:.0f} % |" for name, s in seconds.items()]
    lines.append(f"| total | {total:.2f} | |")
    if "pagefind_cpu" in result:
        lines += ["", f"Pagefind's own CPU time, every part: {result['pagefind_cpu']:.2f} s, so on "
                  f"{result['cores']} cores no build that indexes this site with it, in these "
                  f"parts, takes less than about {pagefind_floor(result):.2f} s."]
    return "\n".join(lines)


def pagefind_floor(result: dict[str, Any]) -> float:
    """The shortest wall time of any build running Pagefind's work on every core."""
    return float(result["pagefind_cpu"]) / int(result["cores"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="write a cProfile report to FILE instead of timing stages")
    args = parser.parse_args(argv)
    try:
        if args.profile:
            profile_build(args.site, args.out, args.profile)
            print(f"wrote {args.profile}")
            return 0
        result = stage_times(args.site, args.out)
    except StageError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(result) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
