"""Reading the book's text files and YAML safely: part of stage `load`, shared by the
metadata and the units' front matter.

A file that is not UTF-8 is an error at the first bad byte (never text cut short), and
YAML is composed into nodes and checked before any value is made from it: nesting depth
and alias expansion are capped (a few lines of aliases can stand for billions of
values), a key given twice is an error (YAML lets the last one win silently), YAML 1.1's
yes/no/on/off are refused where they would turn text into booleans (`language: no`), and
text that XML cannot carry (control characters, U+FFFE) is refused where it is written.
"""

from __future__ import annotations

import re

import yaml

from bookbuild.diagnostics import Diagnostic

# libyaml's loader when PyYAML was built with it: ten times faster on a 1,000-file book
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 20
MAX_VALUES = 1_000_000  # values the document stands for, aliases expanded
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_YAML11_BOOLEANS = {"yes", "no", "on", "off"}  # what PyYAML reads as booleans besides true/false


def not_xml_char(text: str, start: int = 0) -> re.Match | None:
    """The first character XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF)."""
    return _NOT_XML.search(text, start)


def decode_utf8(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """The file's text (a BOM dropped, CRLF made LF), or None and an S017 error at the
    first byte that is not UTF-8, with its line and column."""
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8-sig", "replace")) + 1
        hint = "save it as UTF-8"
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = "it is UTF-16: save it as UTF-8"
        elif _decodes(data, "gb18030"):
            hint = "it reads as GB18030: convert it, e.g. iconv -f GB18030 -t UTF-8"
        bad = data[exc.start : exc.end].hex(" ")
        return None, [
            Diagnostic(
                "S017", f"byte {bad} is not UTF-8 ({hint}); nothing of this file was used", path, line, column=column
            )
        ]


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def key_lines(node: yaml.Node, first_line: int = 1) -> dict[str, int]:
    """The file line of each key of a mapping document, by the key as written."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + first_line for key, _ in node.value}


def load_yaml(text: str, path: str, code: str, value_code: str, first_line: int = 1):
    """(value, root node, diagnostics) of one YAML document; value and node are None
    when it could not be read. `code`: the diagnostic code for what makes it unreadable
    (M001 for metadata.yaml, S001 for front matter), `value_code` for a value it may not
    hold (M005, S003); `first_line`: the file line of the document's first line."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, []
        problems = _check_nodes(node)
        if problems:
            return (
                None,
                None,
                [
                    Diagnostic(code if fatal else value_code, message, path, line + first_line)
                    for fatal, message, line in problems
                ],
            )
        return loader.construct_document(node), node, []
    except yaml.YAMLError as exc:
        # where the broken construct starts (an unclosed '[') is where the fix goes
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return (
            None,
            None,
            [
                Diagnostic(
                    code,
                    f"not valid YAML: {problem}{_fix(problem)}",
                    path,
                    (mark.line + first_line) if mark else first_line,
                )
            ],
        )
    finally:
        loader.dispose()


def _fix(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return ' (text with a colon in it needs quotes: title: "A: B")'
    if "found character '\\t'" in problem or "tab character" in problem:
        return " (indent with spaces, not tabs)"
    return ""


def _check_nodes(root: yaml.Node) -> list[tuple[bool, str, int]]:
    """What is wrong with the document as composed, as (whether it makes the document
    unreadable rather than a value wrong, message, 0-based line)."""
    problems: list[tuple[bool, str, int]] = []
    sizes: dict[int, int] = {}  # id(node) -> values it stands for (aliases share nodes)
    # iterative, so deep nesting cannot exhaust Python's stack; each node is entered once
    # and left once (sizes are summed on the way out)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            children = _children(node)
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > MAX_VALUES:
                return [
                    (
                        True,
                        f"the YAML stands for more than {MAX_VALUES:,} values once its aliases "
                        "are expanded (an alias bomb?)",
                        node.start_mark.line,
                    )
                ]
            continue
        if id(node) in sizes:
            continue  # an alias of a node already checked
        if depth > MAX_DEPTH:
            return [(True, f"the YAML is nested more than {MAX_DEPTH} levels deep", node.start_mark.line)]
        if isinstance(node, yaml.ScalarNode):
            problems += _scalar_problems(node)
            sizes[id(node)] = 1
            continue
        if isinstance(node, yaml.MappingNode):
            problems += _duplicate_keys(node)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node) if id(child) not in sizes)
    return problems


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _scalar_problems(node: yaml.ScalarNode) -> list[tuple[bool, str, int]]:
    found = []
    bad = not_xml_char(node.value)
    if bad:
        found.append(
            (
                False,
                f"U+{ord(bad.group()):04X} (a control or non-character) cannot be carried by XML: delete it",
                node.start_mark.line,
            )
        )
    if node.style is None and node.value.lower() in _YAML11_BOOLEANS:
        found.append(
            (
                False,
                f"`{node.value}` is read as yes/no by some YAML readers: write "
                f'"{node.value}" in quotes for text, or true/false',
                node.start_mark.line,
            )
        )
    return found


def _duplicate_keys(node: yaml.MappingNode) -> list[tuple[bool, str, int]]:
    seen: set[str] = set()
    found = []
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode):
            if key.value in seen:
                found.append((False, f"`{key.value}` is given twice: keep one", key.start_mark.line))
            seen.add(key.value)
    return found
