"""Figures: Plotly figures, the theme and the annotated video.

Imports only `core`, `analysis` and `summaries`.
"""
