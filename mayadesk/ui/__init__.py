"""Widgets only: the main window, tabs, transcript, composer, panels and dialogs."""
