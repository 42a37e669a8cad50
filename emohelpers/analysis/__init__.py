"""Analysis: video -> frames -> faces -> persons -> probabilities -> the emotion table.

Imports only `emohelpers.core`.
"""
