"""Opening the engine the app serves, and preparing its index before server workers start.

Several gunicorn workers share one index by memory-mapping the same saved files, so the page
cache holds one copy whatever the number of workers. ``prepare_index`` runs once in the gunicorn
master (``autocomplete.web.gunicorn_conf``): it makes sure the saved index exists (building it if
needed) and names the directory every worker then opens with ``Autocomplete.load``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autocomplete import Autocomplete
from autocomplete.experiments import (
    ExperimentConfig,
    Experiments,
    load_experiments,
    parse_experiments,
)
from autocomplete.index.catalog_index import FORMAT_VERSION
from autocomplete.paths import cache_directory


def open_engine(config: Mapping[str, Any]) -> Autocomplete:
    """The engine for ``config``: ``ENGINE`` if given, else ``CATALOG`` with ``FEEDBACK``."""
    engine: Autocomplete | None = config.get("ENGINE")
    if engine is not None:
        return engine
    feedback: str | None = config.get("FEEDBACK")
    updates: str | None = config.get("UPDATES")
    catalog: str | None = config.get("CATALOG")
    if catalog is None:
        return Autocomplete(feedback=feedback, updates=updates)
    path = Path(catalog)
    if path.is_dir():
        return Autocomplete.load(path, feedback=feedback, updates=updates)
    return Autocomplete.from_catalog(
        path, **dict(config.get("CATALOG_FIELDS") or {}), feedback=feedback, updates=updates
    )


def open_experiments(config: Mapping[str, Any], engine: Autocomplete) -> Experiments | None:
    """The online experiments of ``EXPERIMENTS`` (a JSON/TOML file, a mapping shaped like one,
    or a list of ``ExperimentConfig``) over ``engine``, signed with ``EXPERIMENT_SECRET``."""
    given = config.get("EXPERIMENTS")
    if given is None:
        return None
    if isinstance(given, (str, Path)):
        configs = load_experiments(given)
    elif isinstance(given, Mapping):
        configs = parse_experiments(given)
    else:
        configs = list(given)
        if not all(isinstance(item, ExperimentConfig) for item in configs):
            raise ValueError("EXPERIMENTS must be a file, a mapping or ExperimentConfig values")
    return Experiments(engine, configs, secret=config.get("EXPERIMENT_SECRET"))


def prepare_index(catalog: str | None, fields: Mapping[str, Any] | None = None) -> str | None:
    """Make sure the index for ``catalog`` is saved on disk; return the directory to load.

    The bundled catalog is cached by ``autocomplete.index.bundled``, with the speller's
    precomputed readings (None is returned: workers find them there). A saved index directory
    is returned as is. A catalog file is built once and saved (with its readings) under the
    cache directory, keyed by its content, the field names and the index format, so a restart
    only memory-maps it.
    """
    if catalog is None:
        # An engine, not only the index: the first one builds the speller's precomputed
        # readings beside the cached index, once, here rather than in every worker at once.
        Autocomplete()
        return None
    path = Path(catalog)
    if path.is_dir():
        return str(path)
    options = dict(fields or {})
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(options, sort_keys=True).encode())
    target = cache_directory() / f"catalog-{path.name}-{digest.hexdigest()[:16]}-v{FORMAT_VERSION}"
    if not target.is_dir():
        engine = Autocomplete.from_catalog(path, **options)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Saved beside the target and renamed, so a worker never opens half an index.
        staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        engine.save(staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process saved it first
    return str(target)
