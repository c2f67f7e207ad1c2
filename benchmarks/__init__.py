"""make bench: the figures clct must reach under many agents (see issue 6 and the README's Performance)."""
