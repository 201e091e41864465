"""Rank: the query-dependent score terms, the ``where`` / ``boost`` compiler, and session
context. Imports ``spell`` and below.
"""
