"""Progress of a long build, for the CLI: a bar on a terminal, nothing in CI or a pipe;
`--verbose` adds one line per stage with its time."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Reporter:
    def __init__(self, stream: TextIO | None = None, verbose: bool = False, quiet: bool = False):
        self.stream = stream or sys.stderr
        interactive = self.stream.isatty() and not os.environ.get("CI")
        self.bar = interactive and not quiet
        self.verbose = verbose and not quiet
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.stage_started = self.started

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._finish_stage()
            self.stage, self.stage_started = stage, time.perf_counter()
        if self.bar and total:
            width = 30
            filled = width * done // total
            self.stream.write(f"\r{stage:<7} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            self.stream.flush()

    def _finish_stage(self) -> None:
        if self.stage is None:
            return
        if self.bar:
            self.stream.write("\r\033[K")
        if self.verbose:
            self.stream.write(f"{self.stage}: {time.perf_counter() - self.stage_started:.2f} s\n")
        self.stream.flush()

    def close(self) -> None:
        self._finish_stage()
        self.stage = None
        if self.verbose:
            self.stream.write(f"total: {time.perf_counter() - self.started:.2f} s\n")
            self.stream.flush()
