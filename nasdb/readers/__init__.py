"""Readers for benchmark file formats that need more than CSV/JSON (no framework dependencies)."""
