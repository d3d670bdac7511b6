"""Listings: the terms an administrator fixes, their rules and the listing state machine."""
