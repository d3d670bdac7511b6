"""Bidders: signed bank deposit callbacks and anonymous bidder numbers."""
