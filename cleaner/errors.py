"""Errors the library raises on purpose. Only `cleaner.cli` turns them into exit codes and
one-line messages; library users catch `CleanerError`."""

from __future__ import annotations


class CleanerError(Exception):
    """Base class: a problem the user can fix (bad input, bad options, bad config)."""

    exit_code = 2


class InputError(CleanerError):
    """A file or record that cannot be read. The message reads `path:line: reason`."""

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Raised in worker processes (and Ray tasks) and re-raised here: it must survive pickling.
        return (InputError, (self.location, self.reason))


class ConfigError(CleanerError):
    """Unknown or invalid settings, from the command line or a config file."""


class OutputError(CleanerError):
    """An output that must not or cannot be written (it would overwrite the input, the disk is full)."""


class IndexBusy(OutputError):
    """Another run holds the index for writing, longer than this one would wait."""


def os_reason(e: OSError) -> str:
    """An OS error's reason as a message part: `no space left on device`, not `[Errno 28] ...`."""
    text = e.strerror or str(e) or type(e).__name__
    return text[:1].lower() + text[1:]
