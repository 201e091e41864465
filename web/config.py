"""The web app's settings: defaults, and the environment variables a WSGI server reads.

``create_app`` takes a plain mapping, so tests and ``autocomplete serve`` pass settings directly
and ``autocomplete.web.wsgi`` (gunicorn) builds the same mapping from ``AUTOCOMPLETE_*`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from autocomplete.limits import DEFAULT_K, MAX_K, MAX_QUERY_CHARS

DEFAULTS: Mapping[str, Any] = {
    # None serves the bundled movie catalog; a directory is a saved index (memory-mapped);
    # a file is a CSV/JSONL catalog, built at start with CATALOG_FIELDS.
    "CATALOG": None,
    # Keyword arguments for Autocomplete.from_catalog: text_field, weight_field, id_field, ...
    "CATALOG_FIELDS": {},
    # The click store. "memory://" keeps clicks for the life of the process; use
    # "sqlite:///path.db" or "redis://host:port/db" to keep them (and share them between
    # gunicorn workers). None turns feedback off: the click endpoints then answer 503.
    "FEEDBACK": "memory://",
    # Live catalog updates (docs/live-updates.md): the update log every worker replays,
    # "sqlite:///path.db" (one host) or "redis://host:port/db" (several), or "memory://";
    # None turns them off. UPDATES_TOKEN is the bearer token POST /api/titles and
    # DELETE /api/titles/<id> require: None leaves those endpoints off (404).
    "UPDATES": None,
    "UPDATES_TOKEN": None,
    # The largest upsert body accepted (a batch of title records), in bytes.
    "MAX_UPSERT_BYTES": 64 * 1024 * 1024,
    # A ready Autocomplete to serve instead of opening CATALOG (tests share one this way).
    "ENGINE": None,
    # Online experiments (docs/experiments.md): a JSON/TOML file (or a mapping shaped like one)
    # naming two arms per experiment; None runs none. They need a click store (FEEDBACK).
    "EXPERIMENTS": None,
    # The key that signs experiment answers sent to clients and back with their impressions.
    # Workers sharing one store must share it; None draws one per process (one worker only;
    # autocomplete.web.gunicorn_conf draws one for all workers when it is not set).
    "EXPERIMENT_SECRET": None,
    # The longest query the API accepts, in characters; longer ones are a 400, not a cut.
    "MAX_QUERY_CHARS": MAX_QUERY_CHARS,
    "DEFAULT_K": DEFAULT_K,
    "MAX_K": MAX_K,
    # The catalog fields behind the page's filter chips and the API's genre= and decade=
    # parameters: a list-of-strings field and a number field (a catalog without them has no
    # chips, and those parameters are then a 400).
    "GENRE_FIELD": "genres",
    "YEAR_FIELD": "year",
    # Suggestions the page asks for, and how it paces its requests.
    "PAGE_K": 8,
    # The results page (``/?q=...``): titles per page, and how deep its pages go in all.
    "RESULTS_PER_PAGE": 10,
    "RESULTS_MAX": MAX_K,
    "CLIENT_DEBOUNCE_MS": 90,
    "CLIENT_TIMEOUT_MS": 3000,
    # Request bodies are a few hundred bytes; anything much larger is refused (413).
    "MAX_CONTENT_LENGTH": 16 * 1024,
    # The page title and the OpenSearch name; None picks one from the catalog served.
    "SITE_NAME": None,
    "SITE_DESCRIPTION": None,
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted
    # (1 behind one nginx); 0 trusts none, so a client cannot forge its address.
    "TRUSTED_PROXIES": 0,
    # ...and the addresses those proxies connect from (addresses or CIDR networks): a request
    # from any other peer keeps its own address whatever X-Forwarded-For it sends.
    "TRUSTED_PROXY_NETWORKS": ("127.0.0.0/8", "::1/128"),
    # The site's public base URL ("https://search.example.com/"), used for the absolute URLs
    # of the OpenSearch documents. None builds them from the request's Host header, and then
    # they are only cached privately (Vary: Host), so a forged Host cannot poison a shared cache.
    "PUBLIC_URL": None,
    # Per-client limits on the write endpoints (POST /api/...): a burst of WRITE_RATE_BURST
    # requests, refilled at WRITE_RATE_PER_MINUTE; beyond it 429 with Retry-After. A person
    # typing sends an impression per list shown, a few a second at most.
    "WRITE_RATE_PER_MINUTE": 240,
    "WRITE_RATE_BURST": 120,
    # Clients whose buckets are kept (least recently seen forgotten first).
    "WRITE_RATE_CLIENTS": 100_000,
}

ENV_PREFIX = "AUTOCOMPLETE_"
_ENV_FIELDS = {
    "TEXT_FIELD": "text_field",
    "WEIGHT_FIELD": "weight_field",
    "ID_FIELD": "id_field",
    "ALIAS_FIELD": "alias_field",
}


def config_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from ``AUTOCOMPLETE_CATALOG``, ``_FEEDBACK``, ``_EXPERIMENTS`` (a file),
    ``_EXPERIMENT_SECRET``, ``_TRUSTED_PROXIES`` and the fields.

    ``AUTOCOMPLETE_FEEDBACK=off`` turns click feedback off; ``_UPDATES`` is the live update
    log and ``_UPDATES_TOKEN`` the token its endpoints require; ``AUTOCOMPLETE_TRUSTED_PROXIES`` is
    the number of reverse proxies in front of the app and ``_TRUSTED_PROXY_NETWORKS`` the
    comma-separated addresses they connect from; ``_PUBLIC_URL`` is the site's public base URL;
    ``_WRITE_RATE_PER_MINUTE``, ``_WRITE_RATE_BURST`` and ``_WRITE_RATE_CLIENTS`` tune the
    write rate limits; ``AUTOCOMPLETE_GENRE_FIELD`` and ``_YEAR_FIELD`` name the filter chips'
    fields.
    """
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    catalog = env.get(ENV_PREFIX + "CATALOG")
    if catalog:
        config["CATALOG"] = catalog
    for setting in ("EXPERIMENTS", "EXPERIMENT_SECRET"):
        value = env.get(ENV_PREFIX + setting)
        if value:
            config[setting] = value
    feedback = env.get(ENV_PREFIX + "FEEDBACK")
    if feedback:
        config["FEEDBACK"] = None if feedback.lower() == "off" else feedback
    proxies = env.get(ENV_PREFIX + "TRUSTED_PROXIES")
    if proxies:
        config["TRUSTED_PROXIES"] = _int(proxies, "TRUSTED_PROXIES")
    networks = env.get(ENV_PREFIX + "TRUSTED_PROXY_NETWORKS")
    if networks is not None:
        config["TRUSTED_PROXY_NETWORKS"] = tuple(
            value.strip() for value in networks.split(",") if value.strip()
        )
    for setting in ("UPDATES", "UPDATES_TOKEN"):
        value = env.get(ENV_PREFIX + setting)
        if value:
            config[setting] = value
    public_url = env.get(ENV_PREFIX + "PUBLIC_URL")
    if public_url:
        config["PUBLIC_URL"] = public_url
    for setting in ("WRITE_RATE_PER_MINUTE", "WRITE_RATE_BURST", "WRITE_RATE_CLIENTS"):
        value = env.get(ENV_PREFIX + setting)
        if value:
            config[setting] = _int(value, setting)
    for setting in ("GENRE_FIELD", "YEAR_FIELD"):
        value = env.get(ENV_PREFIX + setting)
        if value:
            config[setting] = value
    fields = {
        argument: env[ENV_PREFIX + name]
        for name, argument in _ENV_FIELDS.items()
        if env.get(ENV_PREFIX + name)
    }
    if fields:
        config["CATALOG_FIELDS"] = fields
    return config


def _int(text: str, setting: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{setting}: not a whole number: {text!r}") from None


def public_url(value: object) -> str | None:
    """``PUBLIC_URL`` checked (an absolute http(s) URL) and ending with one slash."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"PUBLIC_URL must be a string, got {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_URL must be an absolute http(s) URL without query, got {value!r}")
    return value.rstrip("/") + "/"
