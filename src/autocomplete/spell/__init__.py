"""Spell: the noisy channel's P(typed | intended) and the search for what was meant.

``errormodel`` prices a typed string against an intended one (over ``alignment``, ``keyboard``
and ``alternations``; see docs/spelling.md); ``candidates`` finds the vocabulary words and
phrases a typed query may stand for; ``anchored`` is the fallback that reads a query against the
titles its first words reach. Imports ``index`` and below.
"""
