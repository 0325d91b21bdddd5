"""The `warchive` command: arguments in, pipeline called, outcome mapped to an exit status."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import jinja2

from . import pipeline, resident, scaffold
from .problems import ContentError, Problem, format_all
from .progress import Progress, counted
from .publish import PublishError
from .scaffold import ScaffoldError
from .search import SearchIndexError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="warchive", description="Build a static archive of "
                                   "curated war coverage from content/ and templates/.")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="validate content/ and build the site")
    build.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                       help="folder holding content/ and templates/ (default: .)")
    build.add_argument("--out", type=Path, help="output folder (default: SITE_DIR/public)")
    build.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    build.add_argument("--base-url", type=_base_url,
                       help="override base_url of site.yaml, e.g. for a preview")
    build.add_argument("--quiet", action="store_true", help="no progress line on a terminal")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check = commands.add_parser("check", help="validate everything, write nothing")
    check.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                       help="folder holding content/ and templates/ (default: .)")
    check.add_argument("--drafts", action="store_true", help="check drafts as published")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild on change")
    serve.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                       help="folder holding content/ and templates/ (default: .)")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000; 0 picks a free one")
    serve.add_argument("--no-drafts", dest="drafts", action="store_false",
                       help="leave drafts out of the preview (they are shown by default)")
    new = commands.add_parser("new", help="start an article with every field, as a draft")
    new.add_argument("title", help="the original's headline")
    new.add_argument("--date", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    new.add_argument("--site-dir", type=Path, default=Path("."), help="default: .")
    imported = commands.add_parser("import", help="turn scraped text into a draft article")
    imported.add_argument("file", type=Path, help="the scraped text (UTF-8)")
    imported.add_argument("--site-dir", type=Path, default=Path("."), help="default: .")
    return main


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def run() -> NoReturn:
    """The `warchive` program: `main`, in a process that ends with the command. What a
    build made is left to the exit, neither collected (0.06 s of a 10k body edit) nor
    freed object by object (0.06 s more, for its model): the process ends at once, its
    output flushed. The dev server, which runs on, collects and ends as usual."""
    if sys.argv[1:2] == ["serve"]:
        sys.exit(main())
    gc.disable()
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError):  # the reader has gone: no error
            if stream is not None:  # None: started with the stream closed
                stream.flush()
    os._exit(status)


_LEFT_TO_EXIT: list[object] = []
"""What a command made and `run` leaves to the end of the process, unfreed."""


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ContentError as error:
        print(format_all(error.problems), file=sys.stderr)
        print(f"{counted(len(error.problems), 'problem')}; nothing was published",
              file=sys.stderr)
        return EXIT_CONTENT
    except jinja2.TemplateError as error:
        print(f"template error: {error}; nothing was published", file=sys.stderr)
        return EXIT_CONTENT
    except PublishError as error:
        print(f"error: {error}; the published site is unchanged", file=sys.stderr)
        return EXIT_USAGE
    except SearchIndexError as error:
        print(f"error: {error}; the published site is unchanged", file=sys.stderr)
        return EXIT_CONTENT
    except ScaffoldError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONTENT
    except BrokenPipeError:  # `warchive build | head -1`: the reader has what it wanted,
        _silence_stdout()    # and the work was done before anything was printed
        return EXIT_OK
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _silence_stdout() -> None:
    """Points standard output at nothing, so that flushing it at exit raises no error."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) address: {text!r}")
    return text


def _build(args: argparse.Namespace) -> int:
    progress = Progress(enabled=False if args.quiet else None)
    memory = resident.Memory.kept_in(args.site_dir)
    _LEFT_TO_EXIT.append(memory)
    result = pipeline.build(args.site_dir, args.out, args.drafts, args.base_url,
                            progress=progress, strict=args.strict, memory=memory)
    _warn(result.warnings)
    print(f"built {counted(result.articles, 'article')}, {counted(result.files, 'file')} "
          f"({result.written:,} changed) "
          f"into {result.out}\n"
          f"view it: python3 -m http.server -d {result.out} 8000, "
          "then open http://127.0.0.1:8000/")
    return EXIT_OK


def _warn(warnings: list[Problem]) -> None:
    if warnings:
        print(format_all(warnings), file=sys.stderr)
        print(f"{len(warnings)} warning(s); --strict makes them errors", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    loaded = pipeline.check(args.site_dir, args.drafts, args.strict)
    _warn(loaded.warnings)
    print(f"ok: {counted(len(loaded.site.entries), 'article')}, no problems")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    print(scaffold.new_article(args.site_dir, args.title, args.date or dt.date.today()))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8")
    registries = pipeline.load_registries(args.site_dir)
    print(scaffold.import_article(args.site_dir, text, registries, dt.date.today()))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from . import serve  # its file watcher and HTTP server: 0.02 s of every other command

    serve.serve(args.site_dir, args.port, args.drafts)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": _build, "check": _check, "serve": _serve, "new": _new, "import": _import}


if __name__ == "__main__":
    sys.exit(main())
