"""The proofing page of an ingest (`ingest --proof FILE.html`): every source line with its
number and what ingest decided there, beside the Markdown files that came out, so that
an editor can check the decisions in minutes instead of diffing files. One HTML file with
its styles inside: it opens offline, from disk."""

from __future__ import annotations

import bisect
from collections import Counter

from lxml import etree
from lxml.html import builder as E

from bookbuild.ingest.run import IngestResult

# kind -> (label in the summary, shown in the summary's lists)
KINDS = {
    "removed": "lines removed",
    "join": "paragraphs joined",
    "page": "page breaks",
    "unit": "unit boundaries",
    "entry": "contents entries found",
    "missing": "contents entries not found",
    "metadata": "lines read into metadata.yaml",
    "contents": "contents page lines",
    "front": "lines moved to front matter",
    "changed": "changes made so the book builds",
}
LISTED = ("removed", "join", "page", "unit", "missing", "changed")

STYLE = """
:root { color-scheme: light dark; --removed: #b3261e; --join: #1565c0; --page: #6a1b9a; --unit: #2e7d32;
  --meta: #8d6e00; --missing: #d84315; --changed: #ad1457; --rule: #8884; }
body { margin: 0; font: 15px/1.5 system-ui, "Noto Sans CJK SC", sans-serif; }
header { padding: 1em 1.5em; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.3em; margin: 0 0 .4em; }
h2 { font-size: 1.1em; margin: .6em 0; }
.summary { display: flex; flex-wrap: wrap; gap: .3em 1.2em; margin: 0; padding: 0; list-style: none; }
details { margin: .3em 0; }
details ul { columns: 16em; margin: .3em 0; }
.panes { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 0 1.5em; padding: 0 1.5em; }
@media (max-width: 900px) { .panes { grid-template-columns: minmax(0, 1fr); } }
.output { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; position: sticky; top: 0; background: Canvas; }
td { vertical-align: top; padding: 1px .5em; border-top: 1px solid var(--rule); }
td.n { text-align: right; font-variant-numeric: tabular-nums; color: GrayText; white-space: nowrap; }
td.n a { color: inherit; text-decoration: none; }
td.text { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, "Noto Sans Mono CJK SC", monospace; }
tr.removed td.text { text-decoration: line-through; color: var(--removed); }
tr { scroll-margin-top: 2.5em; } /* a line jumped to is not under the sticky header */
tr:target { outline: 2px solid var(--join); }
td.what ul { margin: 0; padding: 0; list-style: none; }
td.what li { font-size: .9em; }
.k-removed { color: var(--removed); } .k-join { color: var(--join); font-weight: 600; }
.k-page { color: var(--page); } .k-unit, .k-entry { color: var(--unit); font-weight: 600; }
.k-metadata, .k-contents, .k-front { color: var(--meta); } .k-missing { color: var(--missing); font-weight: 600; }
.k-changed { color: var(--changed); }
tr.unit td { border-top: 3px solid var(--unit); }
#only-decisions { margin: .8em .4em .8em 1.5em; }
#only-decisions:checked ~ .panes tbody tr:not([class]) { display: none; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--rule); padding: .5em; margin: 0 0 1em;
  font-family: ui-monospace, "Noto Sans Mono CJK SC", monospace; font-size: .9em; }
"""


def proof_page(result: IngestResult, source_path: str) -> bytes:
    decided = dict(result.decisions)
    counts = Counter(kind for found in decided.values() for kind, _ in found)
    language = result.metadata.language or "und"
    unit_lines = [line for line, _ in result.unit_starts]
    unit_files = [name for _, name in result.unit_starts]

    summary = E.UL(E.CLASS("summary"))
    for kind, label in KINDS.items():
        if counts[kind]:
            summary.append(E.LI(E.SPAN(E.CLASS(f"k-{kind}"), f"{counts[kind]} {label}")))
    lists = []
    for kind in LISTED:
        lines = [(line, words) for line, found in result.decisions for k, words in found if k == kind]
        if lines:
            items = [E.LI(E.A(f"line {line}", href=f"#L{line}"), f": {words}") for line, words in lines]
            lists.append(E.DETAILS(E.SUMMARY(f"{KINDS[kind]} ({len(lines)})"), E.UL(*items)))

    rows = []
    for number, text in enumerate(result.source_lines, 1):
        found = decided.get(number, ())
        classes = " ".join(sorted({kind for kind, _ in found}))
        what = E.UL(*[E.LI(E.CLASS(f"k-{kind}"), words) for kind, words in found]) if found else ""
        at = bisect.bisect_right(unit_lines, number) - 1
        if not found and text.strip() and at >= 0:
            what = E.SPAN("text of ", E.A(unit_files[at], href=f"#file-{unit_files[at]}"))
        row = E.TR(
            E.TD(E.CLASS("n"), E.A(str(number), href=f"#L{number}")),
            E.TD(E.CLASS("text"), text, lang=language),
            E.TD(E.CLASS("what"), what),
            id=f"L{number}",
        )
        if classes:
            row.set("class", classes)
        rows.append(row)

    outputs = []
    for path, text in result.files:
        outputs += [E.H3(path, id=f"file-{path}"), E.PRE(text, lang=language)]

    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.TITLE(f"Ingest proof: {source_path}"), E.STYLE(STYLE)),
        E.BODY(
            E.HEADER(
                E.H1(f"What ingest decided: {source_path}"),
                E.P(
                    f"{len(result.source_lines)} source lines, {len(result.files)} files written. Each line of "
                    "the source is on the left with what ingest did with it; the files it wrote are on the right. "
                    "Struck-through lines were removed; every decision is listed below."
                ),
                summary,
                *lists,
            ),
            # a filter with no script: the checkbox is a sibling of the panes, and CSS
            # hides the rows where ingest decided nothing while it is checked
            E.INPUT(type="checkbox", id="only-decisions"),
            E.LABEL("Show only the lines where ingest decided something", {"for": "only-decisions"}),
            E.DIV(
                E.CLASS("panes"),
                E.SECTION(
                    E.CLASS("source"),
                    E.H2("The source, line by line"),
                    E.TABLE(E.THEAD(E.TR(E.TH("line"), E.TH("source"), E.TH("what ingest did"))), E.TBODY(*rows)),
                ),
                E.SECTION(E.CLASS("output"), E.H2("What came out"), *outputs),
            ),
        ),
        lang="en",
    )
    return b"<!DOCTYPE html>\n" + etree.tostring(page, encoding="utf-8", method="html")
