"""The rules, one module per artifact family. Import order is run order: encoding first (every
other rule wants real characters), then whitespace, then whole lines and paragraphs, then words
and sentences inside paragraphs. (Import sorting is off here for that reason; the README's rules
table, checked against `cleaner rules` by tests/test_readme.py, catches a change of order.)"""

# isort: off
from cleaner.normalize.rules import unicode  # noqa: F401
from cleaner.normalize.rules import whitespace  # noqa: F401
from cleaner.normalize.rules import boilerplate  # noqa: F401
from cleaner.normalize.rules import headline  # noqa: F401
from cleaner.normalize.rules import repeats  # noqa: F401
from cleaner.normalize.rules import doubled  # noqa: F401
from cleaner.normalize.rules import fragments  # noqa: F401
from cleaner.normalize.rules import truncation  # noqa: F401
# isort: on
