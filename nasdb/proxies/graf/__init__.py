"""GRAF-style graph features (``graf_*``) of every architecture, data-free, stored as proxies."""
