"""Deterministic synthetic Chinese books in bookbuild's format, for benchmarks.

    python bench/generate.py S|M|L OUT_DIR [--realistic]   a book: metadata.yaml + book/*.md
    python bench/generate.py raw PAGES OUT_FILE     a raw extraction for `ingest`
    python bench/generate.py pdftotext PAGES OUT_FILE   the same as pdftotext writes an English book

Sizes: S = 20 chapters / 0.3M characters, M = 200 / 3M, L = 1,000 / 15M. Chapters have
front matter, ## and ### sections, lists, quotes, footnotes, a {{page N}} marker about
every 700 characters and cross-references to pages in other chapters. The same size
always gives the same bytes (a fixed-seed generator, no clock, no hash randomisation).

The plain profile (the default) has no inline markup: exactly the text the Markdown fast
paths skip. `--realistic` (issue 19) adds what books have: emphasis and strong emphasis
about every 140 characters, CJK-flanked as in `这是**“互联网+”**的`, inline code, links to
earlier chapters, more footnote references, and printed page references (第 N 页). Its
inline markup comes from a second generator, so the plain profile's bytes do not change.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SIZES = {"S": (20, 300_000), "M": (200, 3_000_000), "L": (1000, 15_000_000)}
PAGE_CHARS = 700
_HAN = (
    "互联网连接一切经济社会发展创新驱动开放生态平台企业用户服务数据信息技术产业融合转型"
    "智能制造金融能源健康教育生活农业商业媒体公益未来时代能力战略行动计划国家政府传统行业"
    "价值合作伙伴网络基础设施移动通信应用场景模式变革效率资源共享协同治理安全标准规则市场"
)
_PUNCT = "，，，、；。。。！？"


_CODE = ("http.get()", "user_id", "API v2", "O2O", "SELECT *", "x += 1")


class _Text:
    def __init__(self, seed: int, realistic: bool = False):
        self.rng = random.Random(seed)
        # the realistic profile's own generator: the plain text is drawn exactly as before
        self.markup = random.Random(seed + 1_000_003) if realistic else None

    def _marked(self, parts: list[str]) -> list[str]:
        """Inline markup over a sentence's parts: about one emphasis in 140 characters."""
        markup = self.markup
        assert markup is not None
        out = []
        for part in parts:
            roll = markup.random()
            if roll < 0.048:
                cut = markup.randint(1, max(1, len(part) - 2))
                part = f"{part[:cut]}*{part[cut:]}*"
            elif roll < 0.078:
                part = f"**“{part[:4]}”**{part[4:]}"  # strong around quotes, Han on both sides
            elif roll < 0.088:
                part = f"{part}`{markup.choice(_CODE)}`"
            elif roll < 0.098:
                part = f"{part}（见第 {markup.randint(1, 9)} 页）"
            out.append(part)
        return out

    def sentence(self) -> str:
        rng = self.rng
        parts = ["".join(rng.choice(_HAN) for _ in range(rng.randint(4, 14))) for _ in range(rng.randint(2, 5))]
        if self.markup is not None:
            parts = self._marked(parts)
        text = "，".join(parts)
        if rng.random() < 0.2:
            text = f"“{text}”"
        if rng.random() < 0.1:
            text += f" {rng.choice(['ICT', 'GDP', 'IP', 'API', 'O2O'])} "
        return text + rng.choice("。。。！？；")

    def paragraph(self, chars: int) -> str:
        out = ""
        while len(out) < chars:
            out += self.sentence()
        return out


def _chapter(
    number: int, chars: int, first_page: int, last_chapter: int, pages_per_chapter: int, realistic: bool = False
) -> tuple[str, int]:
    """One chapter's Markdown, and the next free page number."""
    text = _Text(number, realistic)
    rng = text.rng
    page = first_page
    lines = ["---", f"title: 第{number}章 {text.paragraph(6)[:8]}", "kind: chapter", f"page: {page}", "---", ""]
    written, since_marker, notes = 0, 0, 0
    section = 0
    while written < chars:
        if written == 0 or rng.random() < 0.08:
            section += 1
            lines += [f"## {section}. {text.paragraph(6)[:10]}", ""]
        elif rng.random() < 0.05:
            lines += [f"### {section}.{rng.randint(1, 9)} {text.paragraph(6)[:8]}", ""]
        kind = rng.random()
        body = text.paragraph(rng.randint(120, 360))
        if kind < 0.06:
            items = [f"- {text.sentence()}" for _ in range(rng.randint(2, 4))]
            block = "\n".join(items)
        elif kind < 0.10:
            block = f"> {body}"
        else:
            block = body
        if rng.random() < 0.05:
            notes += 1
            block += f"[^{notes}]"
        if rng.random() < 0.04 and last_chapter > 1:
            target = rng.randint(1, last_chapter * pages_per_chapter)
            block += f"参见[第 {target} 页](#page-{target})。"
        if text.markup is not None and number > 1 and kind >= 0.10:
            if text.markup.random() < 0.06:  # a link to an earlier chapter's file
                earlier = text.markup.randint(1, number - 1)
                block += f"详见[第{earlier}章]({earlier:04d}-chapter-{earlier}.md)。"
            if text.markup.random() < 0.05:
                notes += 1
                block += f"[^{notes}]"
        since_marker += len(block)
        if since_marker >= PAGE_CHARS:
            cut = max(1, len(block) // 2)
            page += 1
            block = block[:cut] + f"{{{{page {page}}}}}" + block[cut:]
            since_marker = len(block) - cut
        lines += [block, ""]
        written += len(block)
    for n in range(1, notes + 1):
        lines += [f"[^{n}]: {text.sentence()}", ""]
    return "\n".join(lines), page + 1


def generate_book(size: str | tuple[int, int], out: Path, realistic: bool = False) -> None:
    """`size`: S, M, L, or (chapters, characters) for a book of another size; `realistic`:
    with inline markup (see the module's docstring)."""
    chapters, total = SIZES[size] if isinstance(size, str) else size
    per_chapter = total // chapters
    pages_per_chapter = per_chapter // PAGE_CHARS + 2
    (out / "book").mkdir(parents=True, exist_ok=True)
    (out / "metadata.yaml").write_text(
        f"title: 合成之书 {size}\nsubtitle: 基准测试用书\nlanguage: zh-Hans\ncreators:\n"
        "- name: 基准\n  role: author\npublisher: 测试出版社\ndate: 2026-01\n"
        "isbn: 978-7-5086-5178-1\n",
        encoding="utf-8",
    )
    # cross-references must land on pages that exist: each chapter links only to pages
    # the chapters before it certainly contain (their first page)
    page = 1
    starts = []
    for number in range(1, chapters + 1):
        starts.append(page)
        text, page = _chapter(number, per_chapter, page, 0, pages_per_chapter, realistic)
        (out / "book" / f"{number:04d}-chapter-{number}.md").write_text(_retarget(text, starts), encoding="utf-8")


def _retarget(text: str, starts: list[int]) -> str:
    """Point every generated page link at a start page that exists."""
    rng = random.Random(len(starts))
    out, pos = [], 0
    while True:
        at = text.find("](#page-", pos)
        if at < 0:
            out.append(text[pos:])
            return "".join(out)
        end = text.index(")", at)
        target = rng.choice(starts)
        out.append(text[pos:at] + f"](#page-{target})")
        pos = end + 1


def generate_raw(pages: int, out: Path) -> None:
    """A raw extraction of a `pages`-page book: CIP record, contents, body with running
    headers between pages, as `ingest` expects."""
    text = _Text(7)
    chapters = max(1, pages // 20)
    lines = [
        "# 合 成 之 书",
        "",
        "基准 著",
        "",
        "",
        "",
        "### 图书在版编目(CIP)数据",
        "",
        "合成之书：基准测试用书/基准著.—北京：测试出版社，2026.1",
        "",
        "ISBN 978-7-5086-5178-1",
        "",
        "Ⅰ.①合… Ⅱ.①基… Ⅲ.①基准－测试 Ⅳ.①TP3",
        "",
        "中国版本图书馆CIP数据核字(2026)第000001号",
        "",
        "开 本：787mm×1092mm 1/16",
        "",
        "# 目 录",
        "",
    ]
    titles = [f"第{n}章 {text.paragraph(6)[:8]}" for n in range(1, chapters + 1)]
    for n, title in enumerate(titles):
        lines.append(f"{title} {n * 20 + 1:03d}")
    lines.append("")
    for title in titles:
        lines += [f"## {title}", ""]
        for page in range(20):
            lines += [text.paragraph(600) + "而且", "", f"## {title}", ""] if page < 19 else [text.paragraph(600), ""]
    out.write_text("\n".join(lines), encoding="utf-8")


_WORDS = (
    "the tool shape system small large hand stone lever river argument rain world "
    "decision object people machine edition chapter page reader printer"
).split()


def generate_pdftotext(pages: int, out: Path) -> None:
    """A `pages`-page English book as pdftotext writes it: a form feed before every page,
    the page number and a running head at the top of each, a contents page with dot
    leaders, paragraphs cut by page breaks, words hyphenated at line ends, and now and
    then a character Markdown would read as markup (`*`, `_`, `<`)."""
    rng = random.Random(11)
    chapters = max(1, pages // 20)
    out_lines = [
        "THE SYNTHETIC BOOK",
        "A Benchmark",
        "",
        "B. Mark",
        "",
        "\fCopyright © 2026 B. Mark. All rights reserved.",
        "ISBN 978-0-306-40615-7 (paperback)",
        "ISBN 978-1-4028-9462-6 (ebook)",
        "",
        "\fi",
        "",
        "Contents",
    ]
    titles = [f"{n} {' '.join(rng.choice(_WORDS) for _ in range(3)).title()}" for n in range(1, chapters + 1)]
    out_lines += [f"{title} . . . . . . . . . . . . {n * 20 + 1}" for n, title in enumerate(titles)]
    page = 1
    for title in titles:
        for in_chapter in range(20):
            head = ["The Synthetic Book", "", str(page), ""] if in_chapter else [str(page), "", title]
            out_lines.append("\f" + head[0])
            out_lines += head[1:]
            for _ in range(38):
                words = [rng.choice(_WORDS) for _ in range(12)]
                if rng.random() < 0.05:
                    words[3] = rng.choice(["*note*", "a_b", "<tag>"])
                line = " ".join(words)
                out_lines.append(line + (" inter-" if rng.random() < 0.1 else "."))
            page += 1
    out.write_text("\n".join(out_lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "raw":
        generate_raw(int(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "pdftotext":
        generate_pdftotext(int(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) in (3, 4) and sys.argv[1] in SIZES and sys.argv[3:] in ([], ["--realistic"]):
        generate_book(sys.argv[1], Path(sys.argv[2]), realistic=len(sys.argv) == 4)
    else:
        sys.exit(__doc__)
