"""Proofs: inclusion and consistency, public because they reveal hashes only."""
