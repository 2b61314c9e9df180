"""Kinerja message contracts: the shapes every service shares, and nothing else (no I/O)."""
