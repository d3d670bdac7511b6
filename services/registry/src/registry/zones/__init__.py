"""域内通办 zones: data and the pure receive / review rules."""
