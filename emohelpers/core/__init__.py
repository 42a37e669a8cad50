"""Core: errors, settings, device, assets, background iteration, version, image encoding.

Imports nothing else of emohelpers; every other layer may import it.
"""
