"""Fast paths past the work of Python-Markdown that could not change the result.

Block stage: every block is offered to a dozen block processors in turn before the
paragraph processor takes it; `_PlainParagraph` takes a top-level block with no block
syntax in it straight away, as the paragraph processor would.

Inline stage: Python-Markdown tries every inline pattern (links, emphasis, code, HTML …) on every piece
of text, one regular expression after another. Most paragraphs of a book contain none of
the characters those patterns start with, and for them the whole inline stage is a no-op
that costs about a third of the conversion. `_SkipPlainText` marks such text as
`AtomicString` (Python-Markdown's own "leave this alone" type) just before the inline
stage and `_RestorePlainText` turns it back into plain text just after, so the stages that
follow (abbreviations, attribute lists) see exactly what they would have seen. Text whose
only inline syntax is `{{page N}}` markers (a book has one every page) gets its marker
spans here, as the inline stage would have made them, and is skipped too.

Most of the rest of a book's text has only simple, closed spans: `*em*`, `**strong**`,
`` `code` ``, `[text](target)`, `[^note]`, `{{page N}}`, each with none of the inline
syntax characters inside it, between stretches that have none at all (`_simple_spans`).
For such text the order in which Python-Markdown tries its patterns cannot matter: each
span can only be taken whole by the one pattern made for it. So each span is handed to
that pattern's own `handleMatch` (the elements are Python-Markdown's, not a copy of its
rules), and the text is skipped like plain text. Anything else (nesting, `_`, escapes,
HTML, a note referred to twice, whose back-link ids depend on the order of the work) is
left to the inline stage.

The output is the same as without the fast paths; tests/test_markdown_fast.py converts
whole books and tricky snippets both ways to prove it. If an extension registers a block
processor or inline pattern this module does not know, that fast path switches itself
off rather than guess.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cached_property

import markdown
from markdown.util import AtomicString

from bookbuild.book.markdown.pagemarker import PAGE_MARKER

# Where the fast paths sit among Python-Markdown's processors (a higher priority runs
# first). The neighbours named are Python-Markdown's own, as of the range pyproject.toml
# allows; tests/test_markdown_fast.py fails if a fast path has switched itself off.
PRIORITIES = {
    "plain_paragraph": 110,  # block processors: before md_in_html's markdown_block (105)
    "skip_plain_text": 21,  # tree processors: after footnote (50), which adds the notes; before inline (20)
    "restore_plain_text": 19,  # after inline (20)
    "source_check": 100,  # preprocessors: first of all (normalize_whitespace is 30), sees the source as written
}


# the characters each inline pattern needs to match anything (Python-Markdown as pyproject.toml pins it,
# 'extra' and our page marker); text with none of them is left as it is by all of them
_PATTERN_TRIGGERS = {
    "backtick": "`",
    "escape": "\\",
    "reference": "[",
    "link": "[",
    "image_link": "[",
    "image_reference": "[",
    "short_reference": "[",
    "short_image_ref": "[",
    "footnote": "[",
    "autolink": "<",
    "automail": "<",
    "html": "<",
    "entity": "&",
    "linebreak": "  \n",
    "em_strong": "*_",  # Python-Markdown 3.11 takes both; before, em_strong2 took '_'
    "em_strong2": "_",
    "not_strong": "*_",
    "strong": "*_",
    "emphasis": "*_",
    "strong_em": "*_",
    "em": "*_",
    "emphasis2": "_",
    "strong2": "_",
    "page_marker": "{",
    "math": "$",
    "index_mark": "{",
}
# what the inline stage itself looks for besides the patterns: its own placeholders
# (other stashes, such as raw HTML's or the footnotes', pass through it untouched)
_INLINE_PLACEHOLDER = markdown.util.INLINE_PLACEHOLDER_PREFIX

# Characters no part of a simple span may hold besides its own delimiters: every trigger
# above, '!' (an image), line ends and the stash placeholders' marks.
_SPECIAL = "`\\[]<&*_{}$!^\n\x02\x03"
_INNER = f"[^{re.escape(_SPECIAL)}]"
_SIMPLE_SPAN = re.compile(
    # a note reference first: `[^id]` is a note before it can be a link (footnote, 175, runs before link, 160)
    rf"(?P<footnote>\[\^(?P<note>[^{re.escape(_SPECIAL)}\s]+)\])"
    rf"|(?P<backtick>`[^`\\{{\n\x02\x03]+`)"
    rf"|(?P<link>(?<!!)\[{_INNER}+\]\([^{re.escape(_SPECIAL)}\s()<>\"']+\))"
    # emphasis whose text neither starts nor ends with a space (else '*' can be a lone star)
    rf"|(?P<strong>\*\*(?=\S){_INNER}+(?<=\S)\*\*)"
    rf"|(?P<em>\*(?=\S){_INNER}+(?<=\S)\*)"
    rf"|(?P<page_marker>{PAGE_MARKER.pattern})"
)
# Where a simple span can start: each alternative above begins with one of these. re
# cannot skip ahead to them itself (it only can when every alternative begins with a
# plain character, not a named group or a look-behind), so finditer would try all six
# alternatives at every character of a paragraph: six times slower than `simple_spans`
# (0.9 against 0.15 ms for a chapter of the realistic bench book).
_SPAN_START = re.compile(r"[\[`*{]")


def simple_spans(text: str) -> Iterator[re.Match[str]]:
    """What `_SIMPLE_SPAN.finditer(text)` finds, found faster: the pattern is tried only
    where a span can start."""
    at = 0
    search, match = _SPAN_START.search, _SIMPLE_SPAN.match
    while (start := search(text, at)) is not None:
        found = match(text, start.start())  # a look-behind still sees the text before
        if found is None:
            at = start.start() + 1
        else:
            yield found
            at = found.end()


# the inline pattern that takes each kind of span (em_strong takes '*' and '**' alike)
_SPAN_PATTERN = {
    "footnote": "footnote",
    "backtick": "backtick",
    "link": "link",
    "strong": "em_strong",
    "em": "em_strong",
}
# where a span may be taken: a block's own text (a link inside a link is not a link)
_SIMPLE_PARENTS = frozenset({"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"})


class _SkipPlainText(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md, skipped: list, source: _SourceCheck):
        super().__init__(md)
        self.skipped = skipped
        self.source = source

    @cached_property  # once per converter, on first use
    def trigger(self):
        """A test for text some inline pattern might change, or None when a pattern is
        not known here. (A character class and plain substring tests: one regular
        expression with alternatives scans twice as slowly.)"""
        names = [item.name for item in self.md.inlinePatterns._priority]
        if any(name not in _PATTERN_TRIGGERS for name in names):
            return None
        chars = re.compile(
            "["
            + re.escape("".join(sorted({c for name in names for c in _PATTERN_TRIGGERS[name] if c not in " \n"})))
            + "]"
        )
        substrings = [_INLINE_PLACEHOLDER] + (["  \n"] if "linebreak" in names else [])
        return lambda text: chars.search(text) is not None or any(s in text for s in substrings)

    @cached_property
    def span_patterns(self):
        """The inline patterns simple spans are handed to, or None when one is missing or
        some pattern's trigger is not among the characters a simple span leaves out."""
        names = [item.name for item in self.md.inlinePatterns._priority]
        if self.trigger is None or not all(c in _SPECIAL + " " for name in names for c in _PATTERN_TRIGGERS[name]):
            return None
        wanted = {*_SPAN_PATTERN.values(), "page_marker"}
        if not wanted <= set(names):
            return None
        return {name: self.md.inlinePatterns[name] for name in wanted}

    def run(self, root):
        self.skipped.clear()
        trigger = self.trigger
        if trigger is None:
            return None
        markers = "page_marker" in self.md.inlinePatterns
        for parent in list(root.iter()):  # a snapshot: spans are added on the way
            if parent.text and type(parent.text) is str:
                self._take(parent, False, parent.text, trigger, markers, parent, 0)
            for child in list(parent):
                if child.tail and type(child.tail) is str:
                    # where the child is now (spans may have gone in before it); the
                    # stdlib's Element has no index(): tails are rare at this stage
                    self._take(child, True, child.tail, trigger, markers, parent, list(parent).index(child) + 1)
        return None

    def _take(self, owner, is_tail: bool, text: str, trigger, markers: bool, parent, at: int) -> None:
        """Leave `text` (owner's text or tail) to the inline stage, or, when the inline
        stage could only turn its {{page N}} markers into spans, do that here (as
        children of `parent`, from position `at`)."""
        if trigger(text):
            if not markers or trigger(PAGE_MARKER.sub("", text)):
                if parent.tag in _SIMPLE_PARENTS:
                    self._take_simple_spans(owner, is_tail, text, trigger, parent, at)
                return
            pieces = PAGE_MARKER.split(text)  # text, label, text, label, … text
            for label, after in reversed(list(zip(pieces[1::2], pieces[2::2]))):
                span = ET.Element("span")
                span.set("data-page", label)
                span.tail = AtomicString(after) if after else None
                parent.insert(at, span)
                if after:
                    self.skipped.append((span, True))
            text = pieces[0]
            if not text:
                setattr(owner, "tail" if is_tail else "text", None)
                return
        setattr(owner, "tail" if is_tail else "text", AtomicString(text))
        self.skipped.append((owner, is_tail))

    def _take_simple_spans(self, owner, is_tail: bool, text: str, trigger, parent, at: int) -> None:
        """Make the elements of text made only of simple spans and plain stretches, as the
        inline stage would, and mark all of it done; leave any other text as it is."""
        patterns = self.span_patterns
        if patterns is None:
            return
        spans = []
        done = 0
        for m in simple_spans(text):
            if trigger(text[done : m.start()]):
                return
            if m.lastgroup == "footnote" and not self._note_taken_once(m.group("note")):
                return
            spans.append(m)
            done = m.end()
        if not spans or trigger(text[done:]):
            return
        inline = self.md.treeprocessors["inline"]
        if not hasattr(inline, "stashed_nodes"):
            # the link pattern looks placeholders up in the inline stage's stash, which
            # its first run makes; simple spans hold no placeholder, so an empty one does
            inline.stashed_nodes = {}
        made = self._make_elements(spans, text, patterns)
        if made is None:
            return
        elements = list(zip((m.start() for m in spans), made))
        tails = [text[m.end() : following.start()] for m, following in zip(spans, spans[1:])] + [text[done:]]
        lead = text[: spans[0].start()]
        setattr(owner, "tail" if is_tail else "text", AtomicString(lead) if lead else None)
        if lead:
            self.skipped.append((owner, is_tail))
        for offset, ((_, element), tail) in enumerate(zip(elements, tails)):
            element.tail = tail or None
            parent.insert(at + offset, element)
            for inner in element.iter():
                # Python-Markdown's own atomic text (code) stays so; the rest becomes text again
                if inner.text and type(inner.text) is str:
                    inner.text = AtomicString(inner.text)
                    self.skipped.append((inner, False))
                if inner.tail and type(inner.tail) is str:
                    inner.tail = AtomicString(inner.tail)
                    self.skipped.append((inner, True))

    def _make_elements(self, spans, text: str, patterns) -> list | None:
        """Each span's element, made by its pattern in the inline stage's order, or None
        (and no state changed) when a pattern does not take a span as read here.

        The closed spans (code, links, markers) first, on the text itself: each is whole
        in itself. Then emphasis, on the text as the inline stage gives it to the
        emphasis pattern: every span before it in priority replaced by a placeholder, and
        each emphasis already made too, since whether a '*' opens or closes depends on
        its neighbours. Notes last, because making one counts a reference."""
        made: dict[int, object] = {}

        def make(pattern, data: str, at: int, length: int):
            found = pattern.compiled_re.match(data, at)
            element, start, end = pattern.handleMatch(found, data) if found else (None, None, None)
            return element if element is not None and (start, end) == (at, at + length) else None

        for i, m in enumerate(spans):
            if m.lastgroup not in ("footnote", "strong", "em"):
                made[i] = make(patterns[_SPAN_PATTERN.get(m.lastgroup, m.lastgroup)], text, m.start(), len(m.group()))
                if made[i] is None:
                    return None
        placeholder = markdown.util.INLINE_PLACEHOLDER % "0000"
        pieces, emphases, done, length = [], [], 0, 0
        for i, m in enumerate(spans):
            pieces.append(text[done : m.start()])
            length += m.start() - done
            if m.lastgroup in ("strong", "em"):
                emphases.append((i, length, len(m.group())))
                pieces.append(m.group())
                length += len(m.group())
            else:
                pieces.append(placeholder)
                length += len(placeholder)
            done = m.end()
        data = "".join(pieces) + text[done:]
        delimiters = getattr(self.md, "delimiters", None)  # Python-Markdown 3.11's emphasis state
        try:
            made_to = -1  # where the emphasis made last ends: a placeholder by then
            for i, at, length in emphases:
                # The pattern reads a '*' by the character on each side and whether it is
                # at either end of the text, and scans the text in between (Python, one
                # character at a time): it is given the span and enough around it to read
                # the same, not the whole paragraph again for each span.
                start = max(0, at - 1)
                window = data[start : at + length + 2]
                if made_to == at:
                    window = "\x03" + window[1:]
                made[i] = make(patterns["em_strong"], window, at - start, length)
                if made[i] is None:
                    return None
                made_to = at + length
        finally:
            if delimiters is not None:
                delimiters.reset()
        for i, m in enumerate(spans):
            if m.lastgroup == "footnote":
                made[i] = make(patterns["footnote"], text, m.start(), len(m.group()))
        return [made[i] for i in range(len(spans))]

    def _note_taken_once(self, note: str) -> bool:
        """A defined note the source refers to once: the second reference's id counts
        the first, so references to one note are left to the inline stage together. The
        source holds `[^note]` twice exactly when that is so: in the definition
        (`[^note]: …`, which a defined note has) and in the text being read."""
        footnotes = self.md.inlinePatterns["footnote"].footnotes
        return note in footnotes.footnotes and self.source.text.count(f"[^{note}]") == 2


class _RestorePlainText(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md, skipped: list):
        super().__init__(md)
        self.skipped = skipped

    def run(self, root):
        # the inline stage copies a skipped tail into a new AtomicString: restore by place
        for element, is_tail in self.skipped:
            if is_tail:
                element.tail = str(element.tail) if element.tail is not None else None
            else:
                element.text = str(element.text) if element.text is not None else None
        self.skipped.clear()
        return None


# The block processors Python-Markdown (as pinned, 'extra', 'sane_lists') runs before the
# paragraph one. None of them takes a block that `_block_syntax` finds nothing in: each
# needs a line starting with its marker (# > : [ < = _ * + - ~ ` a digit, an indent),
# a '|' (tables), or a stash placeholder (raw HTML, fenced code).
_KNOWN_BLOCK_PROCESSORS = {
    "markdown_block",
    "empty",
    "indent",
    "defindent",
    "code",
    "table",
    "hashheader",
    "setextheader",
    "hr",
    "olist",
    "ulist",
    "deflist",
    "quote",
    "footnote",
    "abbr",
    "reference",
    "paragraph",
}
_BLOCK_LINE = re.compile(r"^(?: {4}|\t| {0,3}[#>:\[<=_*+\-~`0-9])", re.M)


def _block_syntax(block: str) -> bool:
    return "|" in block or "\x02" in block or _BLOCK_LINE.search(block) is not None


class _PlainParagraph(markdown.blockprocessors.BlockProcessor):
    """A top-level block with no block syntax in it becomes a paragraph at once, as the
    paragraph processor would make it after every other processor declined it; most
    blocks of a book are such paragraphs."""

    def __init__(self, parser):
        super().__init__(parser)
        self._known: bool | None = None

    def test(self, parent, block):
        if self._known is None:
            names = {item.name for item in self.parser.blockprocessors._priority}
            self._known = names - {"plain_paragraph"} <= _KNOWN_BLOCK_PROCESSORS
        return (
            self._known
            and parent is self.parser.root
            and block.strip() != ""
            and not block.startswith("\n")
            and not self.parser.state.isstate("list")
            and not _block_syntax(block)
        )

    def run(self, parent, blocks):
        paragraph = ET.SubElement(parent, "p")
        paragraph.text = blocks.pop(0).lstrip()


# Processors that can change nothing unless the source, as written, has one of these.
# Tree processors walk the whole tree: attribute lists need a '{' (other than a
# {{page N}} marker's), the unescaping of backslash escapes a backslash. Preprocessors
# scan the whole text: whitespace normalising needs a tab, a carriage return, a space
# before a line end (its blank-lines regular expression was most of its time) or the
# placeholder characters it removes; fenced code needs a fence; raw HTML needs a '<' or
# an '&'. Skipped, each gives what it would have given: the tree unchanged, the lines
# unchanged (normalising adds its two closing blank lines).
_PLACEHOLDERS = ("\x02", "\x03")  # removed from the source first: could join a needle's parts
_TREE_NEEDS = {"attr_list": ("{",), "unescape": ("\\",)}
_PRE_NEEDS = {
    "normalize_whitespace": ("\t", "\r", " \n"),
    "fenced_code_block": ("```", "~~~"),
    "html_block": ("<", "&"),
}
_SKIPPED_GIVES = {"normalize_whitespace": lambda lines: lines + ["", ""]}


class _SourceCheck(markdown.preprocessors.Preprocessor):
    """Notes which of the needles above the source has, as written."""

    def __init__(self, md, seen: dict):
        super().__init__(md)
        self.seen = seen
        self.text = ""

    def run(self, lines):
        # with a line end after the last line, as whitespace normalising sees it
        text = self.text = "\n".join(lines) + "\n"
        anything = any(p in text for p in _PLACEHOLDERS)
        for needles in (*_TREE_NEEDS.values(), *_PRE_NEEDS.values()):
            for needle in needles:
                self.seen[needle] = anything or needle in text
        if self.seen["{"]:
            self.seen["{"] = anything or "{" in PAGE_MARKER.sub("", text)
        return lines


class _OnlyWhenNeeded(markdown.util.Processor):
    """A tree processor or preprocessor run only when the source has what it needs."""

    def __init__(self, md, inner, seen: dict, needs: tuple[str, ...], skipped=lambda given: None):
        super().__init__(md)
        self.inner, self.seen, self.needs, self.skipped = inner, seen, needs, skipped

    def run(self, given):
        if any(self.seen.get(needle, True) for needle in self.needs):
            return self.inner.run(given)
        return self.skipped(given)

    def __getattr__(self, name):
        # others look the processor up by name for its parts (inline patterns use
        # unescape's RE): they get the wrapped one's
        return getattr(self.inner, name)


class FastPathExtension(markdown.extensions.Extension):
    """The block and inline fast paths (register it after every other extension)."""

    def extendMarkdown(self, md):  # noqa: N802
        md.parser.blockprocessors.register(_PlainParagraph(md.parser), "plain_paragraph", PRIORITIES["plain_paragraph"])
        skipped: list = []
        seen: dict = {}
        source = _SourceCheck(md, seen)
        md.preprocessors.register(source, "source_check", PRIORITIES["source_check"])
        md.treeprocessors.register(
            _SkipPlainText(md, skipped, source), "skip_plain_text", PRIORITIES["skip_plain_text"]
        )
        md.treeprocessors.register(
            _RestorePlainText(md, skipped), "restore_plain_text", PRIORITIES["restore_plain_text"]
        )
        for item in list(md.treeprocessors._priority):
            if item.name in _TREE_NEEDS:
                md.treeprocessors.register(
                    _OnlyWhenNeeded(md, md.treeprocessors[item.name], seen, _TREE_NEEDS[item.name]),
                    item.name,
                    item.priority,
                )
        for item in list(md.preprocessors._priority):
            if item.name in _PRE_NEEDS:
                md.preprocessors.register(
                    _OnlyWhenNeeded(
                        md,
                        md.preprocessors[item.name],
                        seen,
                        _PRE_NEEDS[item.name],
                        _SKIPPED_GIVES.get(item.name, lambda lines: lines),
                    ),
                    item.name,
                    item.priority,
                )
