"""The registry side of the trading saga (地证同交): consumers of transactions events."""
