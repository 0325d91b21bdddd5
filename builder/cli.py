"""The `warchive` command: arguments in, pipeline called, outcome mapped to an exit status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jinja2

from . import pipeline
from .problems import ContentError, format_all
from .publish import PublishError
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
    build.add_argument("--base-url", help="override base_url of site.yaml, e.g. for a preview")
    check = commands.add_parser("check", help="validate everything, write nothing")
    check.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                       help="folder holding content/ and templates/ (default: .)")
    check.add_argument("--drafts", action="store_true", help="check drafts as published")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "check":
            loaded = pipeline.check(args.site_dir, args.drafts)
            print(f"ok: {len(loaded.site.entries)} articles, no problems")
        else:
            result = pipeline.build(args.site_dir, args.out, args.drafts, args.base_url)
            print(f"built {result.articles} articles, {result.files} files into {result.out}\n"
                  f"view it: python -m http.server -d {result.out} 8000, "
                  "then open http://127.0.0.1:8000/")
    except ContentError as error:
        print(format_all(error.problems), file=sys.stderr)
        print(f"{len(error.problems)} problem(s); nothing was published", file=sys.stderr)
        return EXIT_CONTENT
    except jinja2.TemplateError as error:
        print(f"template error: {error}; nothing was published", file=sys.stderr)
        return EXIT_CONTENT
    except (PublishError, SearchIndexError) as error:
        print(f"error: {error}; the published site is unchanged", file=sys.stderr)
        return EXIT_CONTENT
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
