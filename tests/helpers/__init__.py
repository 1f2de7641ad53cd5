"""Test helpers: the real services a test run starts, and small shared utilities."""
