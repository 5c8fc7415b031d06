"""Read and model the whole book: load, parse, resolve, nav. Knows nothing of rendering,
writing or the build cache."""
