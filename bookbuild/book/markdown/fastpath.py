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

The output is the same as without the fast paths; tests/test_markdown_fast.py converts
whole books and tricky snippets both ways to prove it. If an extension registers a block
processor or inline pattern this module does not know, that fast path switches itself
off rather than guess.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
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


class _SkipPlainText(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md, skipped: list):
        super().__init__(md)
        self.skipped = skipped

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

    def run(self, lines):
        # with a line end after the last line, as whitespace normalising sees it
        text = "\n".join(lines) + "\n"
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
        md.treeprocessors.register(_SkipPlainText(md, skipped), "skip_plain_text", PRIORITIES["skip_plain_text"])
        md.treeprocessors.register(
            _RestorePlainText(md, skipped), "restore_plain_text", PRIORITIES["restore_plain_text"]
        )
        seen: dict = {}
        md.preprocessors.register(_SourceCheck(md, seen), "source_check", PRIORITIES["source_check"])
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
