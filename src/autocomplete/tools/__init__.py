"""Offline tools: the typo evaluation against the peers, the session-context evaluation, the
click-feedback simulation, synthetic catalogs and error-model training.

They sit above the engine facade and the query path never imports them.
"""
