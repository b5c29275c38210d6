"""Where Montu keeps its files, which database it opens, and secrets via the OS keyring."""
