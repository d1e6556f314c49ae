"""The library calls the command line makes, one module per job: `clean`, `dups`, `index`."""
