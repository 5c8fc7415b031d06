"""model -> bytes: XHTML documents, the EPUB's package files, the HTML edition's pages. Pure: no files, no cache."""
