"""Write the code colours into the package stylesheet (bookbuild/styles/default.css),
between its two `code colours` marker comments: Pygments' `default` style for light
reading and `github-dark` for dark, as rules on the classes book.highlight gives.

    .venv/bin/python scripts/code-css.py          # rewrite them
    .venv/bin/python scripts/code-css.py --check  # exit 1 if they are not current (a test runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from pygments.formatters import HtmlFormatter

STYLESHEET = Path(__file__).resolve().parent.parent / "bookbuild" / "styles" / "default.css"
BEGIN = "/* code colours: made by scripts/code-css.py from Pygments, do not edit by hand */\n"
END = "/* end of code colours */\n"


def rules(style: str) -> list[str]:
    formatter = HtmlFormatter(style=style, classprefix="hl-")
    lines = formatter.get_style_defs("pre.highlight").splitlines()
    # only the token colours: the page's own background and line rules stay the book's
    kept = [line for line in lines if line.startswith("pre.highlight .hl-")]
    return [line.split(" /* ")[0] for line in kept]  # less the token names Pygments adds


def block() -> str:
    dark = "".join(f"  {line}\n" for line in rules("github-dark"))
    return (
        BEGIN
        + "".join(f"{line}\n" for line in rules("default"))
        + (f"@media (prefers-color-scheme: dark) {{\n{dark}}}\n")
        + END
    )


def main() -> int:
    text = STYLESHEET.read_text("utf-8")
    start, end = text.find(BEGIN), text.find(END)
    current = text[start : end + len(END)] if start >= 0 and end >= 0 else ""
    wanted = block()
    if "--check" in sys.argv:
        return 0 if current == wanted else 1
    if current:
        text = text.replace(current, wanted)
    else:
        text = text.rstrip("\n") + "\n\n" + wanted
    STYLESHEET.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
