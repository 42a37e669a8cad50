"""Summaries: pure functions on the emotion table (windows, valence, metrics, evaluation).

Imports only `core` and `analysis`.
"""
