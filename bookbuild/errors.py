"""The exception hierarchy. Each type carries the exit code the CLI returns for it."""

from __future__ import annotations

from bookbuild.diagnostics import Diagnostic


class BookbuildError(Exception):
    exit_code = 1

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()):
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics


class InputError(BookbuildError):
    """The book or source is wrong; the diagnostics say where. Nothing was written."""

    exit_code = 1


class UsageError(BookbuildError):
    """The command line or the environment is wrong (missing Java, bad option)."""

    exit_code = 2


class WriteError(BookbuildError):
    """A file could not be read or written (disk full, no permission, a file where a
    folder should be). Each output is replaced whole or not at all."""

    exit_code = 3


def write_error(exc: OSError, consequence: str) -> WriteError:
    where = f"{exc.filename}: " if exc.filename else ""
    return WriteError(f"{where}{exc.strerror or exc}; {consequence}")
