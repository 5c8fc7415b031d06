"""bookbuild: raw print-book text -> structured Markdown -> EPUB 3 and HTML."""

__version__ = "0.1.0"
