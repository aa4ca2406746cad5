"""Streamlit dashboard: pages read the database only through app.db (read-only, sandboxed)."""
