"""One Session per tab, and the registry that caches each session's clients."""
