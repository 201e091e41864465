"""A delta part's speller, reading the words it does not hold through the main index's speller.

Each segment of a live catalog answers through an engine of its own, so each corrected the typed
words within its own vocabulary: a word a delta does not hold (a misspelling, or a word only the
main index has) was searched twice, once in each vocabulary, the dearest part of the delta's
query path, and the two searches offered different readings (the delta's own nearest words,
which one index holding every title would not have offered). One index searches such a word once,
over every title's words. So a delta part's speller takes its readings from ``SharedReadings``:

* a word the delta holds (its vocabulary's words, as a completed word, and word prefixes, as the
  word being typed) is read as before: from its precomputed table, else searched in its own
  vocabulary (the same readings either way, so answers still do not depend on whether the
  background table is ready);
* a word it does not hold takes the main speller's readings of it (looked up in the main index's
  table or searched once, and memoized there, for every segment), kept where the delta holds the
  intended word and priced by the delta's own popularity and bounds; with them, the readings of
  the words only the delta holds (a new title's own words), searched in a small spelling index of
  those words alone.

The speller's memos, bounds, beam search and phrase checks are the ordinary ones (its
``phrase_exists`` is the delta's): only where a word's readings come from changes. The readings
are taken through the speller's own memoized entry points (``Speller._word_candidates``, and
``Speller._known_weight`` for what the delta holds): ``spell/candidates.py`` is part of the
fingerprint of every precomputed readings table, so a public alias there would make every saved
index rebuild its table.
"""

from __future__ import annotations

import math

from autocomplete.index.spelling import MAX_INDEXED_CHARS, SpellingIndex
from autocomplete.spell.candidates import (
    COST,
    POPULARITY_PULL,
    TEXT,
    WEIGHT,
    WORD_OPTIONS,
    PrecomputedOptions,
    Speller,
    WordOption,
)

NEW_WORDS_LIMIT = 2_000
"""Words only a delta holds that its small spelling index of them may have (built with the
part, about 0.12 ms a word). A delta with more corrects every word within its own vocabulary,
as it would without sharing."""


def sharing_speller(own: Speller, main: Speller) -> Speller:
    """A speller over ``own``'s index, model and bounds whose readings of a word that index does
    not hold come from ``main`` and from the words only ``own`` holds (``SharedReadings``);
    ``own`` itself when those words are more than ``NEW_WORDS_LIMIT``."""
    spelling = own.spelling
    new_words = [word for word in spelling.words.iterkeys() if word not in main.spelling.words]
    if len(new_words) > NEW_WORDS_LIMIT:
        return own
    news = None
    if new_words:
        # One entry per word, weighted by its popularity in the delta, so that the search
        # ranks them as the delta's own index would (the delta's weights and bounds replace
        # the small index's on the way out).
        words = SpellingIndex.build(
            ([word], float(spelling.word_log_weight[spelling.words[word]])) for word in new_words
        )
        news = Speller(words, own.model, phrase_exists=own.phrase_exists)
    readings = SharedReadings(own, main, news)
    return Speller(
        spelling,
        own.model,
        channel_weight=own.channel_weight,
        exact_bonus=own.exact_bonus,
        phrase_exists=own.phrase_exists,
        precomputed=readings,
    )


class SharedReadings:
    """The per-word readings of a delta part's speller (``PrecomputedOptions``): its own for a
    word it holds, the main speller's and its new words' for one it does not (see the module
    docstring). Immutable; the main speller's memo is thread-safe."""

    def __init__(self, own: Speller, main: Speller, news: Speller | None) -> None:
        self.own_table: PrecomputedOptions | None = own.precomputed  # the delta's own readings
        self._spelling = own.spelling
        self._model = own.model
        self._phrase_exists = own.phrase_exists
        self._main = main
        self._news = news
        # The delta's log popularity of a word, or of a word prefix (None when it holds none):
        # what its own speller knows a word by.
        self._known_weight = own._known_weight

    def options(self, word: str, is_prefix: bool, in_phrase: bool) -> tuple[WordOption, ...] | None:
        """``word``'s readings over every segment's vocabulary that this delta holds; for a word
        it holds itself, or one too short to correct, its own (None: search them)."""
        if self._known_weight(word, is_prefix) is not None or (
            not in_phrase and self._model.max_edits(len(word)) == 0
        ):
            table = self.own_table
            return None if table is None else table.options(word, is_prefix, in_phrase)
        # The main speller memoizes a word's readings for every engine over its index.
        mains = self._main._word_candidates(word, is_prefix, in_phrase)
        shared = mains.options
        if self._news is not None and mains.kept == -math.inf:
            # Neither index holds the word (a misspelling, which the main speller searched):
            # the delta's new words may be what was meant. A word the main index holds is read
            # as it reads it (a clean word's neighbours in the main vocabulary, at build time).
            shared += self._news.search_word_options(word, is_prefix, in_phrase)
        found: dict[str, WordOption] = {}
        for option in shared:
            if option[TEXT] not in found:
                here = self._here(option, is_prefix)
                if here is not None:
                    found[option[TEXT]] = here
        ranked = sorted(found.values(), key=_rank)
        return tuple(ranked[:WORD_OPTIONS])

    def _here(self, option: WordOption, is_prefix: bool) -> WordOption | None:
        """``option`` as this delta's own search would have priced it (its popularity, best
        title prior and whether its last word is whole), or None when the delta does not hold
        the intended word (or, for two words read from one, they never stand together)."""
        text, cost, edits, _, span, _, _ = option
        spelling = self._spelling
        if " " in text:  # a typed word read as two, a space missed
            left, right = text.split(" ", 1)
            left_weight = spelling.word_log_weight_of(left)
            right_weight = self._known_weight(right, is_prefix)
            if left_weight is None or right_weight is None:
                return None
            phrase_exists = self._phrase_exists
            if phrase_exists is not None and not phrase_exists(text if is_prefix else text + " "):
                return None
            best = min(
                spelling.best_prior_of(left, prefix=False),
                spelling.best_prior_of(right, prefix=is_prefix),
            )
            whole = not is_prefix or spelling.word_log_weight_of(right) is not None
            return (text, cost, edits, left_weight + right_weight, span, best, whole)
        # One trie lookup for a word, two for a prefix: the values ``word_log_weight_of``,
        # ``prefix_log_weight_of`` and ``best_prior_of`` read (this runs per reading).
        if not is_prefix:
            word_id = spelling.words.get(text)
            if word_id is None:
                return None
            weight = float(spelling.word_log_weight[word_id])
            return (text, cost, edits, weight, span, float(spelling.word_best_prior[word_id]), True)
        prefix_id = spelling.prefixes.get(text[:MAX_INDEXED_CHARS])
        if prefix_id is None or (
            len(text) > MAX_INDEXED_CHARS and not spelling.has_word_starting(text)
        ):
            return None
        weight = float(spelling.prefix_log_weight[prefix_id])
        best = float(spelling.prefix_best_prior[prefix_id])
        whole = spelling.words.get(text) is not None
        return (text, cost, edits, weight, span, best, whole)


def _rank(option: WordOption) -> float:
    """The order a word's readings are kept in (as the speller's search orders them)."""
    return option[COST] - POPULARITY_PULL * option[WEIGHT]
