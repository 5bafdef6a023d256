"""dossier: a static-site generator for curated dossiers of conflict reporting."""

__version__ = "0.1.0"
