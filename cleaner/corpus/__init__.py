"""The corpus as the index knows it: which files (`scope`, `git`), and what makes a file or a
record the same as before (`digests`)."""
