"""Command-line entry point: the window by default, `doctor` and `keys` as subcommands."""
