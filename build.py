#!/usr/bin/env python3
"""Build, check or preview the dossier in this repository (or any --root)."""
from dossier.warm import run

if __name__ == "__main__":
    run()
