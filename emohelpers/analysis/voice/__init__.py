"""The voice channel: a clip's sound track -> speech windows -> emotion probabilities.

`analyze.analyze_voice(path, settings)` returns the voice table (`table.VOICE_COLUMNS`) and
its provenance; modules: `audio` (decoding), `vad` (silero-vad), `features` (log-mel),
`windows`, `classifiers/` (the offline CNN and transformers models), `table`, `settings`.
"""
