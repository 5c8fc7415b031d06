"""Everything that only makes a rebuild do less: the content-keyed cache and its keys,
the state of the last build, the plan (unchanged, quick, full) and the quick path. The
stages in book/, render/ and write/ never import it."""
