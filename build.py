#!/usr/bin/env python3
"""Entry point: `python build.py [ingest|build|check] ...` (the same CLI as `bookbuild`)."""

from bookbuild.cli import run

if __name__ == "__main__":
    run()
