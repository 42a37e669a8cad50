"""Explanations: attribution maps, their faithfulness, the strongest moments explained.

Imports only the layers below (core, analysis, summaries, figures).
"""
