"""The ``autocomplete`` command line: suggest, build, serve, and the data/evaluation tools."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from autocomplete.catalog.loader import CatalogError, CatalogStream, LoadReport
from autocomplete.engine.facade import Autocomplete
from autocomplete.index.build import build_index
from autocomplete.index.catalog_index import IndexFormatError
from autocomplete.limits import DEFAULT_K, MAX_K


class ProgressBar:
    """A one-line progress bar on a terminal stream, redrawn at most every 0.1 s."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self._stream = stream
        self._width = width
        self._last_draw = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if stage == self._stage and not finished and now - self._last_draw < 0.1:
            return
        self._stage, self._last_draw = stage, now
        filled = int(self._width * done / total) if total else self._width
        bar = "#" * filled + "-" * (self._width - filled)
        self._stream.write(f"\r{stage:<14} [{bar}] {100 * done // max(total, 1):3d}%")
        if finished:
            self._stream.write("\n")
        self._stream.flush()


def _add_catalog_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-field", default="title", help="catalog field with the title")
    parser.add_argument("--weight-field", default=None, help="numeric popularity field")
    parser.add_argument(
        "--id-field", default=None, help="unique id field (default: the line number)"
    )
    parser.add_argument("--alias-field", default=None, help="field of aliases/abbreviations")
    parser.add_argument(
        "--skip-bad-records",
        action="store_true",
        help="skip and count malformed records instead of stopping at the first",
    )


def _open_engine(args: argparse.Namespace, progress: bool = False) -> Autocomplete:
    catalog: str | None = args.catalog
    if catalog is None:
        return Autocomplete()
    path = Path(catalog)
    if path.is_dir():
        # A one-shot command has no later queries to spread the checks over: every byte is
        # checked before it answers (or resaves) anything.
        return Autocomplete.load(path, verify="full")
    if not path.exists():
        # --catalog takes either kind; a mistyped index name must not read as a bad format.
        raise CatalogError(
            catalog, None, None, "not found (neither a catalog file nor a saved index directory)"
        )
    engine = Autocomplete.from_catalog(
        path,
        text_field=args.text_field,
        weight_field=args.weight_field,
        id_field=args.id_field,
        alias_field=args.alias_field,
        on_error="skip" if args.skip_bad_records else "raise",
        progress=ProgressBar(sys.stderr) if progress and sys.stderr.isatty() else None,
    )
    if engine.load_report is not None:
        _say_skipped(engine.load_report)
    return engine


def _say_skipped(report: LoadReport) -> None:
    if report.skipped:
        print(f"skipped {report.skipped} bad record(s) in {report.source}", file=sys.stderr)
        for reason in report.skipped_reasons:
            print(f"  {reason}", file=sys.stderr)


def _positive_k(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_K}, got {value}")
    return value


def _cmd_suggest(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    suggestions = engine.suggest(args.query, k=args.k)
    if args.json:
        payload = [
            {
                "text": item.text,
                "id": item.id,
                "label": item.label,
                "score": round(item.score, 4),
                "match": item.match,
                "spans": item.spans,
                "corrected": item.corrected,
                "corrected_query": item.corrected_query,
                "metadata": dict(item.metadata),
            }
            for item in suggestions
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if not suggestions:
        print("no suggestions", file=sys.stderr)
        return 1
    if suggestions[0].corrected and suggestions[0].corrected_query:
        print(f"showing results for: {suggestions[0].corrected_query}")
    for rank, item in enumerate(suggestions, start=1):
        print(f"{rank:2d}. {item.label}  [{item.match}, {item.score:.2f}]")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if Path(args.catalog).is_file():
        # Streamed into the build, never held as one list of records: a catalog of ten million
        # titles builds in a fraction of the memory (docs/performance.md).
        stream = CatalogStream(
            args.catalog,
            text_field=args.text_field,
            weight_field=args.weight_field,
            id_field=args.id_field,
            alias_field=args.alias_field,
            on_error="skip" if args.skip_bad_records else "raise",
        )
        index = build_index(
            stream,
            source=str(args.catalog),
            progress=ProgressBar(sys.stderr) if sys.stderr.isatty() else None,
        )
        _say_skipped(stream.report())
        engine = Autocomplete(index)
    else:  # a saved index (resaved) or a path that is not there: as every command opens it
        engine = _open_engine(args, progress=True)
    engine.save(args.output)  # with what the engine saves beside the index
    info = engine.index.info
    print(
        f"built {info['titles']:,} titles ({info['entries']:,} entries, "
        f"{info['wide_prefixes']:,} wide prefixes) in {time.perf_counter() - started:.1f} s "
        f"-> {args.output}"
    )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # A damaged table of precomputed readings is not refused (it is not used: the speller
    # searches instead); that is said on stderr through logging.
    Autocomplete.load(args.directory, verify="full")
    files = [path for path in Path(args.directory).rglob("*") if path.is_file()]
    print(
        f"{args.directory}: every file checks out: {len(files)} files, "
        f"{sum(path.stat().st_size for path in files) / 1e6:,.1f} MB in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autocomplete",
        description="Search autocomplete and typo correction over a title catalog.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    suggest = commands.add_parser("suggest", help="print suggestions for a query")
    suggest.add_argument("query", help="the text typed so far")
    suggest.add_argument("-k", type=_positive_k, default=DEFAULT_K, help="how many (default 10)")
    suggest.add_argument(
        "--catalog", help="CSV/JSONL catalog or saved index directory (default: bundled movies)"
    )
    suggest.add_argument("--json", action="store_true", help="print JSON")
    _add_catalog_options(suggest)
    suggest.set_defaults(run=_cmd_suggest)

    build = commands.add_parser("build", help="build and save an index for a catalog")
    build.add_argument("catalog", help="CSV or JSONL catalog file")
    build.add_argument("-o", "--output", required=True, type=Path, help="index directory")
    _add_catalog_options(build)
    build.set_defaults(run=_cmd_build)

    verify = commands.add_parser(
        "verify",
        help="check every byte of a saved index (what loading it checks in the background)",
    )
    verify.add_argument("directory", type=Path, help="saved index directory")
    verify.set_defaults(run=_cmd_verify)

    # Tools that belong to other modules add their own subcommands, keeping this file small.
    for add_command in _tool_commands():
        add_command(commands)
    return parser


def _tool_commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    from autocomplete import serve
    from autocomplete.feedback import cli as feedback_cli
    from autocomplete.live import cli as live_cli
    from autocomplete.tools import context_eval, errormodel_train, evaluation, synthetic
    from autocomplete.tools import experiment_simulation as simulate_experiment
    from autocomplete.tools import feedback_simulation as simulate

    return [
        serve.add_command,
        feedback_cli.add_command,
        live_cli.add_command,
        errormodel_train.add_command,
        evaluation.add_command,
        simulate.add_command,
        simulate_experiment.add_command,
        context_eval.add_command,
        synthetic.add_command,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except (CatalogError, IndexFormatError, FileNotFoundError, ValueError) as error:
        print(f"autocomplete: error: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
