"""Persons: tracks of faces over time, shot cuts, and re-identification across them.

`tracker.Tracker` links faces of consecutive analysed frames into tracks (motion model,
optimal assignment), `shots.ShotDetector` finds cuts on every decoded frame, and
`reid` merges tracks of the same face into one person by face appearance.
"""
