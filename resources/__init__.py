"""Data files (menu, avatars, icons), read with importlib.resources so bundles work."""
