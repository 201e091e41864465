"""Training the error model from codespell's misspelling lists (``autocomplete train-errors``).

Reads the (typed, intended) pairs, counts their single-character edits (``count_edits``) and
the alternations they show (``count_alternations``), and saves the counts with the model's
parameters; only this offline tool needs codespell. See docs/spelling.md and data/ERROR_MODEL.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA

from autocomplete.spell.alignment import WORD_START, Op, align, edit_key
from autocomplete.spell.alternations import ALTERNATIONS, Alternation, SiteFinder
from autocomplete.spell.errormodel import MODEL_FILE, ErrorCounts, ErrorModel, Parameters

CODESPELL_FILES = (
    "dictionary.txt",
    "dictionary_rare.txt",
    "dictionary_code.txt",
    "dictionary_names.txt",
)
"""The dictionaries of misspellings. The others map spelling variants (en-GB to en-US),
informal phrases or wording advice, which are not typing or spelling errors."""

MAX_PAIR_EDITS = 2
"""Pairs further apart are rewrites rather than slips and would blur the single-edit counts."""

MAX_FIRST_LETTER_PENALTY = 3.0
"""Cap, in nats, on the measured first-letter penalty, so that a small sample cannot make it
extreme."""

INSTALL_HINT = "codespell is needed to train the error model: pip install codespell"


class CodespellMissingError(RuntimeError):
    pass


def _one_edit_beside(typed: str, left: str, replacement: str, right: str) -> bool:
    """Whether ``typed`` is ``left + replacement + right`` with one edit in ``left`` or in
    ``right``, away from the replacement (its neighbours are kept), so that the other edit is
    not part of the alternation: "eat" for "est" is one substitution, not e>ea ("east") with
    the s dropped."""
    head = left + replacement
    if right and typed.startswith(head + right[0]):
        return OSA.distance(typed[len(head) :], right, score_cutoff=1) == 1
    tail = replacement + right
    if left and typed.endswith(left[-1] + tail):
        return OSA.distance(typed[: len(typed) - len(tail)], left, score_cutoff=1) == 1
    return False


def count_alternations(
    pairs: Iterable[tuple[str, str]], inventory: Iterable[str] = ALTERNATIONS
) -> tuple[dict[str, int], dict[str, int]]:
    """Count, for each alternation, the (typed, intended) pairs it explains, and the contexts.

    A pair is explained when ``typed`` is ``intended`` with one occurrence of the alternation's
    intended sequence replaced by its typed one, exactly or with one more single-character edit
    away from it; a pair explained exactly by some alternation counts only for those. Each
    counts once per alternation and position (word start or not). The contexts count every
    occurrence of the intended sequences in the intended strings (the KCG denominators).
    The typed sequences' occurrences are counted too (for ``ErrorModel.respellings``).
    Returns ``(alternations, alternation_contexts)``, the former with every key of the
    inventory, zeros included.
    """
    rules = [Alternation.parse(label) for label in inventory]
    finder, backwards = SiteFinder(rules), SiteFinder(rule.reversed() for rule in rules)
    seen = {key: 0 for rule in rules for key in rule.count_keys()}
    contexts: dict[str, int] = {}
    for typed, intended in pairs:
        # The typed sides' contexts too ("f" for "ph>f"): respellings weigh the two.
        occurrences: set[tuple[int, str]] = set()  # rules may share a context ("c>k", "c>s")
        for start, _, _, index, at_start in backwards.sites(intended):
            occurrences.add((start, rules[index].reversed().context(at_start)))
        exact: set[str] = set()
        near: set[str] = set()
        for start, end, replacement, index, at_start in finder.sites(intended):
            rule = rules[index]
            occurrences.add((start, rule.context(at_start)))
            left, right = intended[:start], intended[end:]
            if typed == left + replacement + right:
                exact.add(rule.key(at_start))
            elif not exact and _one_edit_beside(typed, left, replacement, right):
                near.add(rule.key(at_start))
        for key in exact or near:
            seen[key] += 1
        for _, context in occurrences:
            contexts[context] = contexts.get(context, 0) + 1
    return seen, contexts


def count_edits(pairs: Iterable[tuple[str, str]]) -> ErrorCounts:
    """Align each (typed, intended) pair and count its edits and the intended contexts."""
    tables: dict[Op, dict[str, int]] = {"sub": {}, "del": {}, "ins": {}, "trans": {}}
    unigrams: dict[str, int] = {}
    bigrams: dict[str, int] = {}
    words = first_letter_edits = 0
    for typed, intended in pairs:
        words += 1 + intended.count(" ")
        for index, char in enumerate(intended):
            unigrams[char] = unigrams.get(char, 0) + 1
            before = WORD_START if index == 0 or intended[index - 1] == " " else intended[index - 1]
            bigram = before + char
            bigrams[bigram] = bigrams.get(bigram, 0) + 1
        for edit in align(typed, intended):
            op, key, at_start = edit_key(typed, intended, edit)
            tables[op][key] = tables[op].get(key, 0) + 1
            first_letter_edits += at_start
    return ErrorCounts(
        sub=tables["sub"],
        dels=tables["del"],
        ins=tables["ins"],
        trans=tables["trans"],
        unigrams=unigrams,
        bigrams=bigrams,
        words=words,
        first_letter_edits=first_letter_edits,
    )


def parse_line(line: str) -> tuple[str, str] | None:
    """The (misspelling, first correction) of a dictionary line, if both are plain words."""
    typo, arrow, corrections = line.strip().partition("->")
    if not arrow:
        return None
    first = corrections.split(",", 1)[0].strip()
    if not (_plain_word(typo) and _plain_word(first)) or typo == first:
        return None
    return typo, first


def _plain_word(text: str) -> bool:
    return text.isascii() and text.isalpha() and text.islower()


def read_pairs(
    paths: Iterable[Path], max_edits: int | None = MAX_PAIR_EDITS
) -> list[tuple[str, str]]:
    """The usable (typed, intended) pairs of the given dictionary files, in file order, at most
    ``max_edits`` edits apart (any distance with ``None``)."""
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for path in paths:
        with path.open(encoding="utf-8") as stream:
            for line in stream:
                pair = parse_line(line)
                if pair is None or pair in seen:
                    continue
                if (
                    max_edits is not None
                    and OSA.distance(*pair, score_cutoff=max_edits) > max_edits
                ):
                    continue
                seen.add(pair)
                pairs.append(pair)
    return pairs


def train(
    pairs: Iterable[tuple[str, str]],
    parameters: Parameters | None = None,
    provenance: dict[str, Any] | None = None,
    alternation_pairs: Iterable[tuple[str, str]] | None = None,
    alternations: Sequence[str] = ALTERNATIONS,
) -> ErrorModel:
    """An error model from (typed, intended) pairs, e.g. ``[("teh", "the")]``.

    The single-character edits are counted on ``pairs``, the ``alternations`` on
    ``alternation_pairs`` (by default the same pairs). Without ``parameters``, the defaults are
    used except for the first-letter penalty, which is measured from the pairs.
    """
    pairs = list(pairs)
    alternation_counts, contexts = count_alternations(
        pairs if alternation_pairs is None else alternation_pairs, alternations
    )
    counts = count_edits(pairs)
    counts = ErrorCounts(
        sub=counts.sub,
        dels=counts.dels,
        ins=counts.ins,
        trans=counts.trans,
        unigrams=counts.unigrams,
        bigrams=counts.bigrams,
        words=counts.words,
        first_letter_edits=counts.first_letter_edits,
        alternations=alternation_counts,
        alternation_contexts=contexts,
    )
    if parameters is None:
        parameters = Parameters(first_letter_penalty=first_letter_penalty(counts))
    return ErrorModel.from_counts(counts, parameters, provenance)


def first_letter_penalty(counts: ErrorCounts) -> float:
    """How much rarer edits at the first letter are than edits anywhere, in nats.

    If errors fell on every character alike, ``words / characters`` of them would hit a first
    letter; the penalty is the log of that over the observed share (add-one smoothed, and kept
    within 0..``MAX_FIRST_LETTER_PENALTY`` so that a small sample cannot make it extreme).
    """
    if not counts.characters or not counts.edits:
        return Parameters().first_letter_penalty
    expected = counts.words / counts.characters
    observed = (counts.first_letter_edits + 1) / (counts.edits + 1)
    return round(min(max(math.log(expected / observed), 0.0), MAX_FIRST_LETTER_PENALTY), 3)


def codespell_data() -> tuple[str, Path]:
    """codespell's version and the folder of its dictionaries, found without importing it (so
    the runtime never depends on codespell)."""
    spec = importlib.util.find_spec("codespell_lib")
    if spec is None or not spec.submodule_search_locations:
        raise CodespellMissingError(INSTALL_HINT)
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    try:
        version = importlib.metadata.version("codespell")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return version, folder


def train_from_codespell(files: Sequence[str] = CODESPELL_FILES) -> ErrorModel:
    version, folder = codespell_data()
    paths = [folder / name for name in files]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CodespellMissingError(
            f"codespell {version} lacks {', '.join(missing)}; pip install --upgrade codespell"
        )
    pairs = read_pairs(paths)
    # Alternations are counted without the distance limit: "fotografer" is three edits from
    # "photographer" but one alternation and one edit (a pair counts for an alternation only
    # when it needs at most one other edit).
    alternation_pairs = read_pairs(paths, max_edits=None)
    provenance = {
        "source": "codespell misspelling dictionaries (https://github.com/codespell-project/codespell)",
        "codespell_version": version,
        "files": list(files),
        "pairs": len(pairs),
        "max_pair_edits": MAX_PAIR_EDITS,
        "alternation_pairs": len(alternation_pairs),
        "command": "autocomplete train-errors",
    }
    return train(pairs, provenance=provenance, alternation_pairs=alternation_pairs)


def _default_output() -> Path:
    from autocomplete.paths import data_directory

    return data_directory() / MODEL_FILE


def run(args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else _default_output()
    try:
        model = train_from_codespell()
    except CodespellMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    model.save(output)
    counts = model.counts
    explained = sum(counts.alternations.values())
    print(
        f"wrote {output}: {model.provenance['pairs']} pairs, {counts.edits} edits over "
        f"{counts.characters} characters, {explained} alternations in "
        f"{model.provenance['alternation_pairs']} pairs "
        f"(codespell {model.provenance['codespell_version']})"
    )
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``train-errors`` on an argparse subparsers object."""
    parser = commands.add_parser(
        "train-errors",
        help="train the typo error model from codespell's misspelling lists",
        description=(
            "Count the edits in codespell's misspelling dictionaries and save the error model "
            "(needs the `data` extra: pip install codespell)."
        ),
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help=f"where to write the model (default: data/{MODEL_FILE})",
    )
    parser.set_defaults(run=run)
