"""Bidding: bid admission, close outcomes and sealed tender bids."""
