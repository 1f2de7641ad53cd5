"""Bring-your-own keys, kept only in the OS keyring."""
