"""Core: errors, settings, device choice, assets, background iteration, atomic files, image encoding.

Imports nothing else of emohelpers; every other layer may import it.
"""
