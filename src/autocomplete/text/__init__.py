"""Text: how typed queries and catalog titles are normalized, and what a title's words are.

The bottom layer of the query path: it imports nothing else of the package but ``limits``.
"""
