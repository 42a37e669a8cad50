"""The voice channel: a clip's sound track -> speech windows -> emotion probabilities.

`analyze.analyze_voice(path, settings)` returns the voice table (`table.VOICE_COLUMNS`) and
its provenance; modules: `audio` (decoding), `vad` (silero-vad), `features` (log-mel),
`windows`, `classifiers/` (the offline CNN and transformers models), `table`, `pseudo_person`
(the voice as an emotion table), `channel` (the voice as a step of `analysis.pipeline`); its
settings are `core.voice_settings.VoiceSettings`.
"""
