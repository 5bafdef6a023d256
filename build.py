#!/usr/bin/env python3
"""Build, check or preview the dossier in this repository (or any --root)."""
import sys

from dossier.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:          # output piped into `head`: not an error
        sys.exit(0)
