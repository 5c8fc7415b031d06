"""Benchmark: search in the HTML edition (issue 17), bookbuild's own index against Pagefind.

    python bench/search.py [--books sample,M,L] [--work DIR] [--pagefind PYTHON]

For each book (the sample, or a realistic bench book made by bench/generate.py) it builds
the HTML edition and reports:

* the index's size against the text it indexes (UTF-8, before compression);
* recall: every 1- to 4-character CJK substring of a sample of paragraphs, the units
  that hold it (read from the built pages with lxml, as tests/test_search.py does)
  against the units found: by bookbuild's engine in Node, and by Pagefind in Chromium;
* in Chromium from file:// (bookbuild) or from a local HTTP server (Pagefind, which
  cannot run from file://): the time to load the index, and for a few queries the time
  from the query to the first result shown and to the last, the page reloaded before
  each query (cold) and the query run again (warm).

`--pagefind PYTHON`: a Python with `pagefind[extended]` installed (kept out of
bookbuild's own environment): `python -m venv /tmp/pf && /tmp/pf/bin/pip install
'pagefind[extended]'`. Needs Node, Debian's Chromium and Playwright (as `make test`).
Prints Markdown; nothing here is a test and nothing asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]
from test_search import ask, cjk_queries, page_blocks  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PARAGRAPHS = {"sample": 10_000, "M": 40, "L": 40}  # the sample: every paragraph


def build(book: Path, out: Path) -> Path:
    if not (out / "html" / "search.html").exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "build",
                "--root",
                str(book),
                "--out",
                str(out),
                "--to",
                "html",
                "--quiet",
            ],
            check=True,
        )
    return out / "html"


def book_root(name: str, work: Path) -> Path:
    if name == "sample":
        return ROOT
    book = work / f"{name}-realistic"
    if not (book / "metadata.yaml").exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), name, str(book), "--realistic"], check=True)
    return book


def sizes(html: Path, blocks: dict[str, list[str]]) -> dict[str, int]:
    folder = html / "js" / "search"
    return {
        "text": sum(len(t.encode()) for texts in blocks.values() for t in texts),
        "shards": sum(p.stat().st_size for p in (folder / "text").glob("*.js")),
        "signatures": sum(p.stat().st_size for p in folder.glob("index*.js")),
    }


def recall(found: list[list[str]], queries: list[str], blocks: dict[str, list[str]]) -> str:
    """Recall and precision over every (query, unit) pair, and recall by the query's
    length in characters."""
    joined = {name: "\n".join(texts) for name, texts in blocks.items()}  # a query holds no newline
    by_length: dict[int, list[int]] = {}  # length -> [found, missed]
    extra = 0
    for query, units in zip(queries, found):
        truth = {name for name, text in joined.items() if query in text}
        counts = by_length.setdefault(len(query), [0, 0])
        counts[0] += len(truth & set(units))
        counts[1] += len(truth - set(units))
        extra += len(set(units) - truth)
    hits = sum(c[0] for c in by_length.values())
    missed = sum(c[1] for c in by_length.values())
    lengths = ", ".join(f"{n} char. {c[0] / max(1, sum(c)):.3f}" for n, c in sorted(by_length.items()))
    return (
        f"recall {hits / max(1, hits + missed):.4f} ({lengths}), precision {hits / max(1, hits + extra):.4f}, "
        f"over {len(queries)} queries"
    )


def timing_queries(blocks: dict[str, list[str]]) -> list[str]:
    """A character, a word, three and four characters from a paragraph in the middle of
    the book; a phrase the book lacks; a Latin word and a mixed query when it has them."""
    names = sorted(blocks)
    texts = [t for t in blocks[names[len(names) // 2]] if len(t) > 40] or [t for ts in blocks.values() for t in ts]
    text = random.Random(7).choice(texts)
    run = max(cjk_queries({"x": [text]}, 1), key=len)
    start = next(i for i in range(len(text)) if text[i : i + 4].isalpha() and not text[i].isascii())
    queries = [text[start], text[start : start + 2], text[start : start + 3], text[start : start + 4], "火星殖民"]
    latin = sorted(
        {w for ts in blocks.values() for t in ts for w in t.split() if w.isascii() and w.isalpha() and len(w) > 4}
    )
    if latin:
        queries += [latin[len(latin) // 2].lower(), f"{text[start : start + 2]} {latin[len(latin) // 2].lower()}"]
    return [q for q in queries if q.strip()] if run else queries


# --- bookbuild's engine in Chromium, from file:// ----------------------------------------

_RUN_OURS = """async (query) => {
  const done = new Promise((resolve) =>
    document.addEventListener("bookbuild-search", (e) => resolve(e.detail), { once: true }));
  const input = document.querySelector("#search-query");
  input.value = query;
  input.form.requestSubmit();
  return await done;
}"""


def time_ours(browser, html: Path, queries: list[str]) -> list[dict]:
    rows = []
    for query in queries:
        page = browser.new_page()
        page.goto((html / "search.html").as_uri())
        page.wait_for_function(
            "() => window.BOOKBUILD_SEARCH && document.querySelector('.search-status').textContent === ''"
        )
        ready = page.evaluate("() => window.BOOKBUILD_SEARCH.loadedAt")
        cold = page.evaluate(_RUN_OURS, query)
        warm = page.evaluate(_RUN_OURS, query)
        rows.append({"query": query, "ready": ready, "cold": cold, "warm": warm})
        page.close()
    return rows


# --- Pagefind -------------------------------------------------------------------------------


def pagefind_index(pagefind: str, html: Path, work: Path) -> tuple[Path, float, int, int]:
    """A copy of the unit pages with a Pagefind index: (folder, seconds, bytes of the
    index, bytes of its runtime: the WebAssembly, scripts and styles, the same for any
    site)."""
    site = work / "site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    for shard in (html / "js" / "search" / "text").glob("*.js"):
        shutil.copy(html / f"{shard.stem}.html", site)
    started = time.perf_counter()
    subprocess.run(
        [
            pagefind,
            "-m",
            "pagefind",
            "--site",
            str(site),
            "--root-selector",
            "main section",
            "--exclude-selectors",
            ".pagenum, [role=doc-noteref], [role=doc-backlink], .note-number",
            "--quiet",
        ],
        check=True,
    )
    seconds = time.perf_counter() - started
    files = [p for p in (site / "pagefind").rglob("*") if p.is_file()]
    runtime = sum(p.stat().st_size for p in files if p.suffix in (".js", ".css") or "wasm" in p.name)
    index = sum(p.stat().st_size for p in files) - runtime
    (site / "probe.html").write_text("<!DOCTYPE html><html lang='zh'><title>probe</title><p>probe</p></html>")
    return site, seconds, index, runtime


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


_PAGEFIND_FIND = """async (queries) => {
  const pf = await import("/pagefind/pagefind.js");
  await pf.init();
  const urls = new Map(), found = [];
  for (const q of queries) {
    const search = await pf.search(q);
    const names = [];
    for (const r of search.results) {
      if (!urls.has(r.id)) urls.set(r.id, (await r.data()).url);
      names.push(urls.get(r.id).split("/").pop().replace(/\\.html$/, ""));
    }
    found.push(names);
  }
  return found;
}"""

_PAGEFIND_TIME = """async (query) => {
  const t0 = performance.now();
  const pf = await import("/pagefind/pagefind.js");
  await pf.init();
  const t1 = performance.now();
  const search = await pf.search(query);
  let first = null;
  if (search.results.length) { await search.results[0].data(); first = performance.now() - t1; }
  const t2 = performance.now();
  return { load: t1 - t0, first: first === null ? t2 - t1 : first, results: search.results.length };
}"""


def pagefind_find(browser, base: str, queries: list[str]) -> list[list[str]]:
    page = browser.new_page()
    page.goto(base + "probe.html")
    found = []
    for start in range(0, len(queries), 500):
        found += page.evaluate(_PAGEFIND_FIND, queries[start : start + 500])
    page.close()
    return found


def pagefind_time(browser, base: str, queries: list[str]) -> list[dict]:
    rows = []
    for query in queries:
        page = browser.new_page()
        page.goto(base + "probe.html")
        cold = page.evaluate(_PAGEFIND_TIME, query)
        warm = page.evaluate(_PAGEFIND_TIME, query)
        rows.append({"query": query, "cold": cold, "warm": warm})
        page.close()
    return rows


def pagefind_from_disk(browser, site: Path) -> str:
    page = browser.new_page()
    page.goto((site / "probe.html").as_uri())
    try:
        page.evaluate("async () => { const pf = await import('./pagefind/pagefind.js'); await pf.search('的'); }")
        outcome = "works"
    except Exception as exc:  # noqa: BLE001 (what the browser says is the finding)
        outcome = str(exc).splitlines()[0][:160]
    page.close()
    return outcome


# --- the report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default="sample,M,L")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bookbuild-search-bench"))
    parser.add_argument("--pagefind", help="a Python with pagefind[extended] installed")
    parser.add_argument(
        "--pagefind-queries", type=int, default=1500, help="Pagefind's recall: this many queries, at random"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for name in args.books.split(","):
            work = args.work / name
            html = build(book_root(name, args.work), work / "out")
            blocks = page_blocks(html)
            measured = sizes(html, blocks)
            index = measured["shards"] + measured["signatures"]
            print(f"\n### {name}: {len(blocks)} units, text {measured['text'] / 1e6:.2f} MB")
            print(
                f"\nbookbuild's index: {index / 1e6:.2f} MB = {index / measured['text']:.2f}× the text "
                f"(shards {measured['shards'] / 1e6:.2f} MB, signatures {measured['signatures'] / 1e6:.2f} MB)"
            )
            queries = cjk_queries(blocks, PARAGRAPHS.get(name, 40))
            print("bookbuild", recall(ask({"queries": queries}, html)["found"], queries, blocks))
            timed = timing_queries(blocks)
            print(
                "\n| query | index.js loaded | first result (cold) | all shown (cold) | first (warm) | units shown | units scanned |"
            )
            print("|---|---|---|---|---|---|---|")
            for row in time_ours(browser, html, timed):
                cold, warm = row["cold"], row["warm"]
                print(
                    f"| {row['query']} | {row['ready']:.0f} ms | {cold['first']:.0f} ms | {cold['done']:.0f} ms "
                    f"| {warm['first']:.0f} ms | {cold['units']} | {cold['scanned']} |"
                )
            if not args.pagefind:
                continue
            site, seconds, size, runtime = pagefind_index(args.pagefind, html, work / "pagefind")
            print(
                f"\nPagefind: indexed in {seconds:.1f} s; index {size / 1e6:.2f} MB = {size / measured['text']:.2f}× "
                f"the text (compressed), and its runtime {runtime / 1e6:.2f} MB"
            )
            server, base = serve(site)
            try:
                some = sorted(random.Random(1).sample(queries, min(args.pagefind_queries, len(queries))))
                print("Pagefind", recall(pagefind_find(browser, base, some), some, blocks))
                print("\n| query | Pagefind loaded | first result (cold) | first (warm) | results |")
                print("|---|---|---|---|---|")
                for row in pagefind_time(browser, base, timed):
                    cold, warm = row["cold"], row["warm"]
                    print(
                        f"| {row['query']} | {cold['load']:.0f} ms | {cold['first']:.0f} ms | {warm['first']:.0f} ms | {cold['results']} |"
                    )
            finally:
                server.shutdown()
            print(f"\nPagefind from file://: {pagefind_from_disk(browser, site)}")
        browser.close()


if __name__ == "__main__":
    main()
