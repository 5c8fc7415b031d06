"""bytes -> files: the EPUB zip and the html/ folder, written whole or not at all, reproducibly."""
