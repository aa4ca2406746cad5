"""nasdb's own proxies: the registry (names, settings, provenance), scoring runs and the Python API."""
