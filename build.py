#!/usr/bin/env python3
"""Entry point: `python build.py [ingest|build|check] ...` (the same CLI as `bookbuild`)."""

import sys

from bookbuild.cli import main

if __name__ == "__main__":
    sys.exit(main())
