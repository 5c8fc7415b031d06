"""Proofreading lints for Chinese text: the punctuation mistakes editors mend by hand
(clreq, GB/T 15834; the typography review's rule 5 and recommendation 6). Each finding
says what is wrong and the fix. `fix_text` applies the ones that are safe without a
reader's judgement, for ingest, and says what it changed.

Only text in a Chinese book, and only text with Han characters around the mark, is
looked at: "..." in an English quotation inside a Chinese book is left alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from bookbuild.text import HAN, HAN_LATIN_SPACE, has_han

_H = f"[{HAN}]"


@dataclass(frozen=True)
class Lint:
    code: str
    message: str
    found: str  # the text as written, to find its line
    fixed: str | None  # what fix_text makes of `found`; None: a reader must decide

    @property
    def safe(self) -> bool:
        return self.fixed is not None


@dataclass(frozen=True)
class _Rule:
    code: str
    pattern: re.Pattern[str]
    message: str
    # what the mark becomes (by the mark, for several marks); None: a reader must decide
    replacement: str | dict[str, str] | None

    def replacement_for(self, mark: str) -> str | None:
        return self.replacement[mark] if isinstance(self.replacement, dict) else self.replacement

    def lints(self, text: str) -> Iterator[Lint]:
        for m in self.pattern.finditer(text):
            # the mark with a character on each side, to find it by (a space alone is not)
            around = text[max(0, m.start() - 1) : m.end() + 1].replace(MASK, "")
            message = self.message.format(found=m.group(), around=around)
            found = around if self.code == "S029" else m.group()
            fix = self.replacement_for(m.group())
            yield Lint(self.code, message, found, None if fix is None else found.replace(m.group(), fix, 1))


RULES = (
    _Rule(
        "S025",
        # one U+2026 alone, three full stops, or 。。。, beside Han text
        re.compile(
            rf"(?:(?<!…)…(?!…)|\.{{3}}|。{{3}})(?:(?<={_H}…)|(?<={_H}\.\.\.)|(?<={_H}。。。)|(?={_H}|[”’」』，。！？]))"
        ),
        "ellipsis {found!r}: a Chinese ellipsis is two U+2026, ……",
        "……",
    ),
    _Rule(
        "S026",
        # one U+2014 alone, two full-width hyphens, two ASCII hyphens between Han
        re.compile(rf"(?<={_H})(?:(?<!—)—(?!—)|－－|--(?!-))"),
        "dash {found!r}: a Chinese dash (破折号) is two U+2014, ——",
        "——",
    ),
    _Rule(
        "S027",
        re.compile(rf"(?<={_H})[\u30fb\u2022\u2027](?={_H})"),
        "interpunct {found!r}: the 间隔号 of names is U+00B7, ·",
        "·",
    ),
    _Rule(
        "S028",
        re.compile(rf"(?<={_H})[,;:?!](?={_H})"),
        "half-width {found!r} between Han characters: use the full-width mark (，；：？！)",
        {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"},
    ),
    _Rule(
        "S029",
        HAN_LATIN_SPACE,
        "a space between Han and Latin text ({around!r}): the outputs drop it, since the stylesheet puts "
        "the gap there (text-autospace); delete it here",
        "",
    ),
    _Rule(
        "S030",
        re.compile("[\ufe10-\ufe19\ufe30-\ufe4f]"),
        "vertical presentation form {found!r} (U+FE10–FE4F): write the ordinary mark; vertical "
        "books turn it themselves",
        None,
    ),
)
_PAIRS = (("“", "”"), ("‘", "’"), ("（", "）"), ("《", "》"), ("「", "」"), ("『", "』"), ("【", "】"))
_NEEDLES = ("…", "...", "。。。", "—", "－－", "--", "\u30fb", "\u2022", "\u2027", ",", ";", ":", "?", "!", " ")


def lint_text(paragraph: str) -> list[Lint]:
    """The findings in one paragraph's text (code and URLs already left out)."""
    if not has_han(paragraph):
        return []
    found: list[Lint] = []
    if any(needle in paragraph for needle in _NEEDLES) or "\ufe10" <= max(paragraph):
        for rule in RULES:
            found += rule.lints(paragraph)
    for opening, closing in _PAIRS:
        opened, closed = paragraph.count(opening), paragraph.count(closing)
        if opened != closed and not (closing == "’" and closed > opened):  # ’ is also an apostrophe
            mark = opening if opened > closed else closing
            found.append(
                Lint(
                    "S031",
                    f"{opened} {opening} but {closed} {closing} in this paragraph: a quote or bracket is "
                    "not closed (or not opened)",
                    mark,
                    None,
                )
            )
    return found


def _mend(rule: _Rule, m: re.Match[str]) -> str:
    return rule.replacement_for(m.group()) or ""


def fix_text(text: str) -> tuple[str, list[Lint]]:
    """The text with the safe fixes made (ellipses, dashes, interpuncts, half-width marks
    between Han, a space between Han and Latin), and what was changed."""
    if not has_han(text) or not any(needle in text for needle in _NEEDLES):
        return text, []
    changed: list[Lint] = []
    for rule in RULES:
        if rule.replacement is None:
            continue
        hits = list(rule.lints(text))
        if hits:
            changed += hits
            text = rule.pattern.sub(partial(_mend, rule), text)
    return text, changed


# what a lint must not look into: code, URLs and link targets, raw HTML tags, markers and
# attribute lists; masked with a character that is neither Han nor a mark
_PROTECTED = re.compile(
    r"`[^`\n]*`|\$\$?[^$\n]+\$\$?|\]\([^)\n]*\)|<[^<>\n]*>|https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\{\{[^}\n]*\}\}|\{:?[^}\n]*\}"
)
FENCE = re.compile(r"^ {0,3}(```|~~~)")  # a line that opens or closes fenced code
MASK = "\x00"


def masked(line: str) -> str:
    return _PROTECTED.sub(lambda m: MASK * len(m.group()), line)


def lint_markdown(body: str) -> list[tuple[int, Lint]]:
    """(line offset in the body, finding) for a unit's Markdown: paragraph by paragraph,
    fenced and indented code left out, inline code, URLs and markup masked."""
    found: list[tuple[int, Lint]] = []
    paragraph: list[tuple[int, str]] = []
    fenced = False

    def flush() -> None:
        if paragraph:
            text = "\n".join(line for _, line in paragraph)
            for lint in lint_text(text):
                at = next((n for n, line in paragraph if lint.found in line), paragraph[0][0])
                found.append((at, lint))
            paragraph.clear()

    for number, line in enumerate(body.split("\n")):
        if FENCE.match(line):
            flush()
            fenced = not fenced
            continue
        if fenced or line.startswith(("    ", "\t")) and not paragraph:
            continue
        if not line.strip():
            flush()
            continue
        paragraph.append((number, masked(line)))
    flush()
    return found


def fix_markdown(text: str) -> tuple[str, list[Lint]]:
    """fix_text on the parts of a block of Markdown a lint looks at."""
    pieces, changed, done = [], [], 0
    for m in _PROTECTED.finditer(text):
        fixed, found = fix_text(text[done : m.start()])
        pieces += [fixed, m.group()]
        changed += found
        done = m.end()
    fixed, found = fix_text(text[done:])
    return "".join(pieces) + fixed, changed + found
