"""Text for speech, sentence splitting, TTS providers and the one audio output."""
