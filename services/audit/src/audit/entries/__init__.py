"""Entries: the auditors' read side (queries, single entries with proofs, exports), itself logged."""
