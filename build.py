#!/usr/bin/env python3
"""Build, check or preview the dossier in this repository (or any --root)."""
import sys

from dossier.cli import main

if __name__ == "__main__":
    sys.exit(main())
