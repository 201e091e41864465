"""Which kernels run: the compiled extensions, or their plain-Python twins.

Four hot steps are C extensions: the typo path's ``_align`` (the error model's alignment and
pricing) and ``_nearby`` (the spelling index's deletion probe), and the multi-word path's
``_words`` (the word index's conjunctive check) and ``_alignwords`` (typed words aligned with
each title at least cost). Each has a twin, ``_align_python``, ``_nearby_python``,
``_words_python`` (NumPy) and ``_alignwords_python``, that gives the same results to the bit,
only slower.
A twin runs when its extension cannot be imported (the install found no C compiler) or when
``AUTOCOMPLETE_KERNELS=python`` asks for the twins (the tests run both ways with it); the
library then says so once, through ``logging``.
"""

from __future__ import annotations

import importlib
import logging
import os
from functools import cache

KERNELS_VARIABLE = "AUTOCOMPLETE_KERNELS"
"""Environment variable: ``python`` runs the plain-Python twins even where the C ones exist."""

COMPILED_KERNELS = {
    "_align": "autocomplete.spell._align",
    "_nearby": "autocomplete.index._nearby",
    "_words": "autocomplete.index._words",
    "_alignwords": "autocomplete.rank._alignwords",
}
"""The C extensions of the package: short name -> module."""

logger = logging.getLogger("autocomplete")


@cache
def python_kernels() -> frozenset[str]:
    """The kernels that run as plain Python in this process; the first call logs them.

    Cached, so that the decision (and its one message) is made once, whichever module asks first.
    """
    if os.environ.get(KERNELS_VARIABLE, "").strip().lower() == "python":
        logger.warning(
            "autocomplete runs the plain-Python twins of its compiled kernels, as %s=python "
            "asks: the same suggestions, with slower typo correction",
            KERNELS_VARIABLE,
        )
        return frozenset(COMPILED_KERNELS)
    missing: dict[str, str] = {}
    for name, module in COMPILED_KERNELS.items():
        try:
            importlib.import_module(module)
        except ImportError as error:
            missing[name] = str(error)
    if missing:
        logger.warning(
            "autocomplete's compiled kernels are missing (%s); it runs their plain-Python twins: "
            "the same suggestions, with slower typo correction (installing with a C compiler "
            "builds them)",
            "; ".join(f"{name}: {reason}" for name, reason in missing.items()),
        )
    return frozenset(missing)
