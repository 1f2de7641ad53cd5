"""Gemini chat model factory, Maya's persona, emotion tags and the turn loop."""
