"""Supervision: rules that raise alerts on suspicious trading patterns."""
