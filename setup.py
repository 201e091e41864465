"""The C extensions, the one part of the build that pyproject.toml cannot declare yet.

setuptools reads everything else (name, dependencies, packages, package data) from
pyproject.toml; its ``[tool.setuptools.ext-modules]`` table is still experimental and warns on
every install, so the extensions are declared here, in the stable way.

Four hot steps are in C (see each module's header): the error model's alignment and pricing
(``_align``), the spelling index's deletion probe (``_nearby``), the word index's conjunctive
check (``_words``) and the scattered-words reading's alignment of typed words with titles
(``_alignwords``). They need a C compiler and the Python headers. All are optional: without a
compiler the install still succeeds, and the package runs their plain-Python twins
(``_align_python``, ``_nearby_python``, ``_words_python``, ``_alignwords_python``), with the
same answers, slower, saying so once through ``logging``.
"""

from setuptools import Extension, setup

# The word kernels share their checks of integer arrays (src/autocomplete/_int_buffers.h).
SHARED = {"include_dirs": ["src/autocomplete"], "depends": ["src/autocomplete/_int_buffers.h"]}

setup(
    ext_modules=[
        Extension(
            "autocomplete.spell._align", sources=["src/autocomplete/spell/_align.c"], optional=True
        ),
        Extension(
            "autocomplete.index._nearby", sources=["src/autocomplete/index/_nearby.c"], optional=True
        ),
        Extension(
            "autocomplete.index._words",
            sources=["src/autocomplete/index/_words.c"],
            optional=True,
            **SHARED,
        ),
        Extension(
            "autocomplete.rank._alignwords",
            sources=["src/autocomplete/rank/_alignwords.c"],
            optional=True,
            **SHARED,
        ),
    ]
)
