"""The WSGI entry point for production servers: ``gunicorn autocomplete.web.wsgi:app``.

Settings come from the environment (see ``autocomplete.web.config.config_from_env``):
``AUTOCOMPLETE_CATALOG`` (a saved index directory, or a catalog file), ``AUTOCOMPLETE_FEEDBACK``
(a click-store URL, or ``off``) and ``AUTOCOMPLETE_TEXT_FIELD`` / ``_WEIGHT_FIELD`` /
``_ID_FIELD`` / ``_ALIAS_FIELD``.
"""

from __future__ import annotations

from . import create_app
from .config import config_from_env

app = create_app(config_from_env())
