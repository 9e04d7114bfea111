"""Speech output: text to speech (piper, espeak-ng) and the playback queue behind the speaker node."""
