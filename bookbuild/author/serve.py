"""`bookbuild serve`: build the HTML edition, serve it on 127.0.0.1, and rebuild on every
save of book/, metadata.yaml or styles/.

The pages are served as the build wrote them, with one script added on the way out
(assets/live.js): it asks /__bookbuild/state twice a second, reloads the page when a
build succeeded, and lays the findings of a failed one (file:line, code, message) over
the page until the next build mends them. Nothing but the built html/ folder is served:
a path that leads outside it is not found. The rebuild is the incremental build, a layer
around the stages; a broken edit leaves the last good pages in place."""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookbuild.book.editions import Edition
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.errors import BookbuildError
from bookbuild.pipeline import build

STATE_PATH = "/__bookbuild/state"
SCRIPT_PATH = "/__bookbuild/live.js"
_SCRIPT_TAG = f'<script src="{SCRIPT_PATH}"></script>'.encode()


@dataclass
class PreviewState:
    """What the open pages are told: which build this is, and what it found. Shared by
    the thread that builds and the threads that answer the pages."""

    generation: int = 0
    ok: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, ok: bool, diagnostics: Iterable[Diagnostic]) -> None:
        shown = tuple(d for d in diagnostics if d.severity is not Severity.INFO)
        with self.lock:
            self.generation += 1
            self.ok, self.diagnostics = ok, shown

    def as_json(self) -> bytes:
        with self.lock:
            state = {
                "generation": self.generation,
                "ok": self.ok,
                "diagnostics": [d.as_json() for d in self.diagnostics],
            }
        return json.dumps(state, ensure_ascii=False).encode("utf-8")


def rebuild(
    root: Path, out: Path, state: PreviewState, edition: Edition | None = None
) -> tuple[bool, float, tuple[Diagnostic, ...]]:
    """One build of the HTML edition (of `edition`, when given); the state is updated
    whether it worked or not."""
    started = time.perf_counter()
    try:
        result = build(root, out, ("html",), edition=edition)
    except BookbuildError as exc:
        state.update(False, exc.diagnostics or (Diagnostic("S009", exc.message),))
        return False, time.perf_counter() - started, tuple(state.diagnostics)
    state.update(True, result.diagnostics)
    return True, time.perf_counter() - started, tuple(result.diagnostics)


class _Handler(BaseHTTPRequestHandler):
    site: Path
    state: PreviewState
    server_version = "bookbuild-serve"

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's names)
        self._answer(with_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(with_body=True)

    def _answer(self, with_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == STATE_PATH:
            return self._send(self.state.as_json(), "application/json", with_body)
        if path == SCRIPT_PATH:
            script = resources.files("bookbuild").joinpath("assets", "live.js").read_bytes()
            return self._send(script, "text/javascript; charset=utf-8", with_body)
        target = self._file(path)
        if target is None and path in ("/", "/index.html"):
            # no good build yet: a page to carry the findings, reloaded once one works
            return self._send(_with_script(_WAITING), "text/html; charset=utf-8", with_body)
        if target is None:
            return self._send(b"not found", "text/plain; charset=utf-8", with_body, HTTPStatus.NOT_FOUND)
        data = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".html":
            data = _with_script(data)
            kind = "text/html; charset=utf-8"
        elif kind.startswith("text/") or kind.endswith(("javascript", "json", "svg+xml")):
            kind += "; charset=utf-8"
        self._send(data, kind, with_body)

    def _file(self, path: str) -> Path | None:
        """The built file a URL path names, or None: never one outside the site folder
        (.., symbolic links and all)."""
        relative = path.lstrip("/")
        candidate = (self.site / relative).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        site = self.site.resolve()
        if not candidate.is_relative_to(site) or not candidate.is_file():
            return None
        return candidate

    def _send(self, data: bytes, kind: str, with_body: bool, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a rebuilt page is always fetched again
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
        pass  # a request per poll: not worth a line each


_WAITING = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>bookbuild serve</title></head>'
    b"<body><p>The book has not built yet: its findings are below. This page reloads when it builds.</p></body></html>"
)


def _with_script(page: bytes) -> bytes:
    at = page.rfind(b"</body>")
    return page[:at] + _SCRIPT_TAG + page[at:] if at >= 0 else page + _SCRIPT_TAG


def start_server(site: Path, state: PreviewState, port: int) -> ThreadingHTTPServer:
    """The server, answering on 127.0.0.1 only, in a thread of its own."""
    handler = type("Handler", (_Handler,), {"site": site, "state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="bookbuild-serve", daemon=True).start()
    return server


def watched(root: Path, change: object, path: str) -> bool:
    """Whether a change under the book folder is one the build reads: book/, styles/,
    metadata.yaml, never the outputs (a build would set off another) nor an editor's
    hidden files."""
    relative = Path(path).resolve().relative_to(root.resolve()) if Path(path).is_absolute() else Path(path)
    parts = relative.parts
    if not parts or any(part.startswith(".") for part in parts):
        return False
    return parts[0] in ("book", "styles") or parts == ("metadata.yaml",)


def watch(root: Path, stop: threading.Event, on_change: Callable[[set[str]], None]) -> None:
    """Call `on_change` with the changed paths after each burst of saves, until `stop`."""
    import watchfiles

    for changes in watchfiles.watch(
        root, watch_filter=partial(_filter, root.resolve()), stop_event=stop, debounce=200, step=50
    ):
        on_change({path for _, path in changes})


def _filter(root: Path, change: object, path: str) -> bool:
    try:
        return watched(root, change, path)
    except ValueError:  # not under the book folder
        return False
