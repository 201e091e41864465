"""``autocomplete upsert FILE`` and ``autocomplete delete ID...``: changes logged to the update
store every serving process replays (``--updates`` or ``AUTOCOMPLETE_UPDATES``)."""

from __future__ import annotations

import argparse
import os
import sys

from autocomplete.live.backends import open_update_store
from autocomplete.live.catalog import delete_bodies, upsert_bodies
from autocomplete.live.changes import CatalogFields

ENVIRONMENT_VARIABLE = "AUTOCOMPLETE_UPDATES"


def _store_url(args: argparse.Namespace) -> str:
    url: str | None = args.updates or os.environ.get(ENVIRONMENT_VARIABLE)
    if not url:
        raise ValueError(f"name the update store: --updates URL or {ENVIRONMENT_VARIABLE}")
    return url


def _cmd_upsert(args: argparse.Namespace) -> int:
    fields = CatalogFields(args.text_field, args.weight_field, args.id_field, args.alias_field)
    bodies = upsert_bodies(args.file, fields)  # validated before the store is opened
    store = open_update_store(_store_url(args))
    try:
        sequence = store.append(bodies)
    finally:
        store.close()
    print(f"logged {len(bodies)} upsert(s) through sequence {sequence}")
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    bodies = delete_bodies(args.ids)
    store = open_update_store(_store_url(args))
    try:
        sequence = store.append(bodies)
    finally:
        store.close()
    print(f"logged {len(bodies)} delete(s) through sequence {sequence}")
    return 0


def _add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--updates",
        default=None,
        help=f"update store URL: sqlite:///path.db or redis://host:port/db "
        f"(default: ${ENVIRONMENT_VARIABLE})",
    )


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    upsert = commands.add_parser(
        "upsert", help="add or replace titles in a live catalog (CSV/JSONL records with ids)"
    )
    upsert.add_argument("file", help="CSV or JSONL file of records, as the catalog loader reads")
    defaults = CatalogFields()
    upsert.add_argument("--text-field", default=defaults.text)
    upsert.add_argument("--weight-field", default=defaults.weight)
    upsert.add_argument("--id-field", default=defaults.id)
    upsert.add_argument("--alias-field", default=defaults.alias)
    _add_store_option(upsert)
    upsert.set_defaults(run=_cmd_upsert)
    delete = commands.add_parser("delete", help="remove titles from a live catalog by id")
    delete.add_argument("ids", nargs="+", metavar="ID")
    _add_store_option(delete)
    delete.set_defaults(run=_cmd_delete)


def main() -> int:  # pragma: no cover - for python -m
    parser = argparse.ArgumentParser(prog="autocomplete")
    add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args()
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
