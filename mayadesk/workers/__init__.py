"""QThread turn workers: the only bridge from turn events to Qt signals."""
