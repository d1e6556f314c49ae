"""The rules, one module per artifact family. Import order is run order: encoding first (every
other rule wants real characters), then whitespace, then whole lines and paragraphs, then words
and sentences inside paragraphs."""

from cleaner.normalize.rules import unicode, whitespace, boilerplate, headline, repeats, doubled, fragments, truncation  # noqa: F401
