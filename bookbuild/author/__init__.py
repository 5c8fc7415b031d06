"""What an author runs besides the build: `new` starts a book, `serve` previews it."""
