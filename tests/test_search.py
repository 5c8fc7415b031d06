"""Search in the HTML edition (render/search_index.py, assets/search.js): the index that
the build writes, read by the page's own engine in Node (tests/search/engine.js).

Recall is measured against the built pages themselves, read here with lxml and not with
the indexer's code: every 1- to 4-character run of CJK characters taken from a sample of
the book's paragraphs must find exactly the units whose text holds it."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import lxml.html
import pytest
from conftest import ROOT, write_book

from bookbuild.cli import main
from bookbuild.render.search_index import CJK, cjk_keys, signature, stem, word_keys

NODE = shutil.which("node")
ENGINE = ROOT / "bookbuild" / "assets" / "search.js"
HARNESS = Path(__file__).parent / "search" / "engine.js"
BENCH = ROOT / "bench"

pytestmark = pytest.mark.skipif(NODE is None, reason="Node runs the page's search engine (make test installs it)")


def ask(request: dict, html: Path | None = None) -> dict:
    args = [NODE, str(HARNESS), str(ENGINE)] + ([str(html)] if html else [])
    done = subprocess.run(args, input=json.dumps(request), capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def unit(title: str, body: str, front: str = "") -> str:
    return f"---\ntitle: {title}\nkind: chapter\n{front}---\n\n# {title}\n\n{body}\n"


def build_html(root: Path, out: Path) -> Path:
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "html", "--quiet"]) == 0
    return out / "html"


# --- the ground truth: each unit page's blocks, read with lxml ---------------------------

_BLOCK_XPATH = "//main//*[self::p or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::li or self::td or self::th or self::figcaption or self::caption or self::dt or self::dd or self::pre]"
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_CJK_RUN = re.compile(f"[{CJK}]+")


def page_blocks(html: Path) -> dict[str, list[str]]:
    """Unit name -> the texts of its blocks, without page numbers, note marks and links
    back from notes (a reader's text, not the apparatus)."""
    units = {}
    for shard in (html / "js" / "search" / "text").glob("*.js"):
        tree = lxml.html.fromstring((html / f"{shard.stem}.html").read_bytes())
        for element in tree.xpath(
            "//a[contains(@class,'pagenum')] | //a[@role='doc-noteref'] | //a[@role='doc-backlink'] | //span[@class='note-number']"
        ):
            element.drop_tree()
        units[shard.stem] = [_INVISIBLE.sub("", e.text_content()) for e in tree.xpath(_BLOCK_XPATH)]
    return units


def cjk_queries(blocks: dict[str, list[str]], paragraphs: int, seed: int = 17) -> list[str]:
    """Every 1- to 4-character CJK substring of `paragraphs` blocks drawn at random."""
    every = [text for texts in blocks.values() for text in texts if _CJK_RUN.search(text)]
    sample = random.Random(seed).sample(every, min(paragraphs, len(every)))
    queries = set()
    for text in sample:
        for run in _CJK_RUN.findall(text):
            for size in range(1, 5):
                queries.update(run[i : i + size] for i in range(len(run) - size + 1))
    return sorted(queries)


def assert_recall_and_precision(html: Path, paragraphs: int) -> int:
    blocks = page_blocks(html)
    queries = cjk_queries(blocks, paragraphs)
    found = ask({"queries": queries}, html)["found"]
    missed, extra = [], []
    joined = {name: "\n".join(texts) for name, texts in blocks.items()}  # a query holds no newline
    for query, units in zip(queries, found):
        truth = {name for name, text in joined.items() if query in text}
        missed += [(query, name) for name in truth - set(units)]
        extra += [(query, name) for name in set(units) - truth]
    assert missed == [], f"recall below 1.0: {len(missed)} misses, e.g. {missed[:5]}"
    assert extra == [], f"units that do not hold the query: {extra[:5]}"
    return len(queries)


# --- the engine agrees with the indexer -------------------------------------------------


def test_stem_is_porter_step_1():
    # the examples of Porter (1980), step 1
    examples = {
        "caresses": "caress",
        "ponies": "poni",
        "ties": "ti",
        "caress": "caress",
        "cats": "cat",
        "feed": "feed",
        "agreed": "agree",
        "plastered": "plaster",
        "bled": "bled",
        "motoring": "motor",
        "sing": "sing",
        "conflated": "conflate",
        "troubled": "trouble",
        "sized": "size",
        "hopping": "hop",
        "tanned": "tan",
        "falling": "fall",
        "hissing": "hiss",
        "fizzed": "fizz",
        "failing": "fail",
        "filing": "file",
        "happy": "happi",
        "sky": "sky",
        "studies": "studi",
        "study": "studi",
    }
    assert {word: stem(word) for word in examples} == examples
    words = sorted(examples) + ["2015", "o2o", "é", "naïve", "x"]
    rng = random.Random(3)
    words += ["".join(rng.choice("abcdeilnorsty") for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    assert ask({"stems": words})["stems"] == [stem(w) for w in words]


def test_hash_and_signature_agree_with_the_page():
    rng = random.Random(5)
    alphabet = "ab互联网+连接\u00e9\u4e00\U00020000\U0002a6d6 \n"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(500)]
    assert ask({"crcs": texts})["crcs"] == [zlib.crc32(t.encode()) for t in texts]
    # no false negatives: every key a text holds is found in its signature
    samples = []
    for _ in range(200):
        text = "".join(
            rng.choice("互联网加连接一切中信出版社 Studies running O2O 2015 é") for _ in range(rng.randint(1, 80))
        )
        cjk, words = cjk_keys(text), word_keys(text)
        samples.append([*signature(cjk, words), sorted(cjk) + sorted(words)])
    held = ask({"signatures": samples})["held"]
    assert all(all(row) for row in held)


def test_random_texts_every_cjk_substring_is_found(tmp_path):
    """A property over random texts, astral Han and kana among them: each unit is a
    random text; every CJK substring of up to 4 characters finds exactly its units."""
    rng = random.Random(11)
    alphabet = "互联网加连接一切中信出版社的了是在有人\U00020000\U0002a6d6かなカナ한글 ，。“”William gibson 2015 \u2060"
    units = {}
    for n in range(12):
        paragraphs = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(5)]
        units[f"{n + 1:02d}-u.md"] = unit(f"第{n + 1}章", "\n\n".join(paragraphs))
    book = write_book(tmp_path / "book", units)
    html = build_html(book, tmp_path / "out")
    assert assert_recall_and_precision(html, paragraphs=60) > 500


def test_recall_on_the_sample(tmp_path):
    html = build_html(ROOT, tmp_path)
    blocks = page_blocks(html)
    # the sample is small: every paragraph of it
    count = assert_recall_and_precision(html, paragraphs=sum(len(b) for b in blocks.values()))
    assert count > 3000


def test_recall_on_a_generated_book(tmp_path):
    """A book made as the bench makes its books (10 chapters, 100,000 characters,
    realistic markup): 40 paragraphs."""
    sys.path.insert(0, str(BENCH))
    try:
        from generate import generate_book
    finally:
        sys.path.remove(str(BENCH))
    generate_book((10, 100_000), tmp_path / "S", realistic=True)
    html = build_html(tmp_path / "S", tmp_path / "out")
    assert assert_recall_and_precision(html, paragraphs=40) > 3000
    # the index (shards and signatures) is at most 1.7 times the text it indexes, in UTF-8
    # (1.30 times on the bench's M and L books: bench/README.md)
    index = sum(p.stat().st_size for p in (html / "js" / "search").rglob("*.js"))
    text = sum(len(t.encode()) for texts in page_blocks(html).values() for t in texts)
    assert index <= 1.7 * text, (index, text)


def test_english_prefix_stem_and_mixed_queries(tmp_path):
    book = write_book(
        tmp_path / "book",
        {
            "01-a.md": unit("Studies", "The study of running water.{{page 5}} Connection made."),
            "02-b.md": unit("Other", "He runs; she ran. 互联网 and the Internet."),
            "03-c.md": unit("Third", "Nothing here but connectors."),
        },
        "title: Words\nlanguage: en\n",
    )
    html = build_html(book, tmp_path / "out")
    queries = ["studies", "stud", "run", "running", "connect", "internet 互联网", "互联网 water", "xyz", "Connection"]
    found = dict(zip(queries, ask({"queries": queries}, html)["found"]))
    names = {name: sorted(units) for name, units in found.items()}
    assert names["studies"] == ["01-a"]  # study, studies: the same stem
    assert names["stud"] == ["01-a"]  # a prefix
    assert names["run"] == ["01-a", "02-b"]  # running (prefix), runs (stem)
    assert names["running"] == ["01-a", "02-b"]  # the stem 'run': 'runs' in 02-b
    assert names["connect"] == ["01-a", "03-c"]
    assert names["internet 互联网"] == ["02-b"]
    assert names["互联网 water"] == []
    assert names["xyz"] == []
    assert names["Connection"] == ["01-a"]
    snippet = ask({"snippets": [["01-a", "connection"], ["01-a", "study"]]}, html)["snippets"]
    assert snippet[0]["page"] == ["5", "01-a.html#page-5"]
    assert [p for p in snippet[0]["pieces"] if p[1]] == [["Connection", True]]
    assert snippet[1]["page"] is None  # before the book's first page marker


def test_a_unit_that_begins_on_an_earlier_page(tmp_path):
    book = write_book(
        tmp_path / "book",
        {
            "01-a.md": unit("甲", "第一页的字。{{page 2}}第二页的字。", "page: 1\n"),
            "02-b.md": unit("乙", "仍在第二页的字。{{page 3}}第三页的字。"),
        },
    )
    html = build_html(book, tmp_path / "out")
    snippets = ask({"snippets": [["02-b", "仍在"], ["02-b", "第三页"], ["01-a", "第一页"]]}, html)["snippets"]
    assert snippets[0]["page"] == ["2", "01-a.html#page-2"]
    assert snippets[1]["page"] == ["3", "02-b.html#page-3"]
    assert snippets[1]["address"] == "02-b.html#page-3"
    assert snippets[2]["page"] == ["1", "01-a.html#page-1"]


def test_an_edited_chapter_is_found_by_its_new_text(tmp_path, models):
    """A text edit goes through the quick rebuild: the chapter's shard and its line of
    index.js change, nothing else in js/search/, and the new words are found."""
    book = write_book(
        tmp_path / "book",
        {f"0{n}-c.md": unit(f"第{n}章", f"第{n}章的正文。", "page: 1\n" if n == 1 else "") for n in range(1, 4)},
    )
    html = build_html(book, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in (html / "js" / "search").rglob("*.js")}
    chapter = book / "book" / "02-c.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("的正文", "写到了麒麟"), encoding="utf-8")
    models.clear()
    build_html(book, tmp_path / "out")
    assert models == []  # the quick rebuild: the book was not modelled again
    after = {p.name: p.read_bytes() for p in (html / "js" / "search").rglob("*.js")}
    assert {name for name in after if after[name] != before[name]} == {"02-c.js", "index-0.js"}
    found = ask({"queries": ["麒麟", "正文", "麒"]}, html)["found"]
    assert found == [["02-c"], ["01-c", "03-c"], ["02-c"]]


def test_an_edit_in_the_second_part_of_the_index(tmp_path, models):
    """70 units: the signatures are in two parts (64 units each); a text edit of unit 66
    rewrites index-1.js only, and the outputs are those of a clean build."""
    from build_helpers import assert_same_as_clean

    units = {f"{n:02d}-c.md": unit(f"第{n}章", f"第{n}章的正文。", "page: 1\n" if n == 1 else "") for n in range(1, 71)}
    book = write_book(tmp_path / "book", units)
    out = tmp_path / "out"
    assert main(["build", "--root", str(book), "--out", str(out), "--quiet"]) == 0  # the EPUB too, as a clean build
    html = out / "html"
    assert sorted(p.name for p in (html / "js" / "search").glob("index*.js")) == [
        "index-0.js",
        "index-1.js",
        "index.js",
    ]
    before = {p.name: p.read_bytes() for p in (html / "js" / "search").glob("index*.js")}
    chapter = book / "book" / "66-c.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("的正文", "写到了麒麟"), encoding="utf-8")
    models.clear()
    assert main(["build", "--root", str(book), "--out", str(out), "--quiet"]) == 0
    assert models == []  # the quick rebuild
    after = {p.name: p.read_bytes() for p in (html / "js" / "search").glob("index*.js")}
    assert {name for name in after if after[name] != before[name]} == {"index-1.js"}
    assert ask({"queries": ["麒麟"]}, html)["found"] == [["66-c"]]
    assert_same_as_clean(book, out, tmp_path)
