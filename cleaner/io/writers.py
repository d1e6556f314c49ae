"""Writers: documents -> files in the format they came from, atomically.

Every output file is written to a temporary file beside its target and renamed over it only when
complete, so an interrupted or failed run leaves either the previous file or nothing, never half a
file; an OS error while writing (a full disk, a read-only folder) is an `OutputError` naming the
target, and the temporary file is removed.
Records keep their order and every field but the title and text; a record whose title and text
did not change is written back from its original serialisation where the format keeps one.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import gzip
import io
import json
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from cleaner.errors import OutputError, os_reason
from cleaner.io.readers import InputFile, ReadOptions, csv_layout, get_field, parse_txt
from cleaner.model import Document

TEMP_SUFFIX = ".tmp"
# A temporary file is `.NAME.cleaner-PID.RANDOM.tmp` beside its target NAME: a run killed
# outright (SIGKILL: nothing runs) leaves it, and the next run writing NAME removes it once no
# process PID is alive here.
_TEMP = re.compile(r"\.(?P<name>.+)\.cleaner-(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp")


class GuardedFile(io.FileIO):
    """A file whose failed writes are `OutputError`s naming what was written (`label`): a
    full disk, a file-size limit, an I/O error. A closed pipe stays a `BrokenPipeError`."""

    label = "?"
    discarding = False

    def discard(self) -> None:
        """From now on, drop what is written: the failure has been reported, and what is still
        buffered must not fail again when the file is closed."""
        self.discarding = True

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        if self.discarding:
            return len(data)
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(f"{self.label}: {os_reason(e)}") from None


def guarded_stream(fd: int, label: str) -> io.BufferedWriter:
    """A buffered writer on the open descriptor `fd` (left open), its failures naming `label`."""
    raw = GuardedFile(fd, "wb", closefd=False)
    raw.label = label
    return io.BufferedWriter(raw)


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove the temporary files of `target` left by runs that were killed (their process is
    gone); return them."""
    removed = []
    try:
        candidates = list(target.parent.glob(f".{glob.escape(target.name)}.cleaner-*.tmp"))
    except OSError:
        return removed
    for path in candidates:
        m = _TEMP.fullmatch(path.name)
        if m and m["name"] == target.name and not _alive(int(m["pid"])):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _folder_problem(folder: Path, e: OSError) -> str:
    """Why a file cannot be made in `folder`: an ancestor that is not a folder, or the OS's reason."""
    for p in (folder, *folder.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                return f"{p} is not a folder"
            break
    return os_reason(e)


class AtomicFile:
    """A binary file that appears at `target` only on `commit()`. Every OS error on the way (the
    folder cannot be made or written, the disk is full) is an `OutputError` naming `target`,
    after which `abort()` leaves nothing behind."""

    def __init__(self, target: Path, mode_from: Path | None = None) -> None:
        self.target = target
        self.mode_from = mode_from
        if target.exists() and not target.is_file():
            # A device, fifo or folder would be replaced by a file (as root, /dev/full itself).
            kind = "a folder" if target.is_dir() else "not a regular file"
            raise OutputError(f"{target}: {kind}; cleaner replaces only regular files")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(target)
            fd, tmp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.cleaner-{os.getpid()}.", suffix=TEMP_SUFFIX
            )
        except OSError as e:
            raise OutputError(f"{target}: cannot write here: {_folder_problem(target.parent, e)}") from None
        self.tmp = Path(tmp)
        raw = GuardedFile(fd, "wb", closefd=True)
        raw.label = str(target)
        self.raw = raw
        self.fh: IO[bytes] = io.BufferedWriter(raw)

    def commit(self) -> None:
        try:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            if self.mode_from is not None and self.mode_from.exists():
                os.chmod(self.tmp, self.mode_from.stat().st_mode & 0o7777)
            os.replace(self.tmp, self.target)
        except OSError as e:
            raise OutputError(f"{self.target}: {os_reason(e)}") from None

    def abort(self) -> None:
        """Remove the temporary file; never raises (it runs while another error is on its way)."""
        self.raw.discard()  # what is still buffered is not written: it may not fit on a full disk
        with contextlib.suppress(OSError, ValueError):
            self.fh.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)


@contextmanager
def atomic_output(target: Path) -> Iterator[IO[bytes]]:
    """A binary file that appears at `target` when the block ends normally, and never otherwise
    (its temporary file is removed on every exit path)."""
    out = AtomicFile(target)
    try:
        yield out.fh
        out.commit()
    finally:
        out.abort()


def set_field(record: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `record` with `path` (a literal key, else a dotted path) set to `value`."""
    out = dict(record)
    if path in record or "." not in path:
        out[path] = value
        return out
    head, rest = path.split(".", 1)
    out[head] = set_field(out.get(head) or {}, rest, value)
    return out


def _unchanged(doc: Document, options: ReadOptions) -> bool:
    _, text = get_field(doc.record, options.text_field)
    _, title = get_field(doc.record, options.title_field)
    if options.paragraph_sep and isinstance(text, str):
        text = text.replace(options.paragraph_sep, "\n\n")
    return doc.text == text and doc.title == title


def _updated_record(doc: Document, options: ReadOptions) -> dict[str, Any]:
    if _unchanged(doc, options):
        return dict(doc.record)  # as read: no separator round trip for records nobody edited
    text = doc.text.replace("\n\n", options.paragraph_sep) if options.paragraph_sep else doc.text
    record = set_field(doc.record, options.text_field, text)
    found, _ = get_field(doc.record, options.title_field)
    if found or doc.title is not None:
        record = set_field(record, options.title_field, doc.title)
    return record


class FileWriter(ABC):
    """Writes the documents of one input file to one output file."""

    def __init__(self, source: InputFile, target: Path, options: ReadOptions) -> None:
        self.source = source
        self.options = options
        self.atomic = AtomicFile(target, mode_from=source.path)
        self.out: IO[bytes] = self.atomic.fh
        self._gz: gzip.GzipFile | None = None
        if source.gzipped:
            # mtime=0 and no file name keep the output byte-identical from run to run.
            self._gz = gzip.GzipFile(filename="", fileobj=self.atomic.fh, mode="wb", mtime=0)
            self.out = self._gz  # type: ignore[assignment]
        try:
            self._setup()
        except BaseException:
            self.atomic.abort()  # e.g. the input's schema cannot be read: leave no temporary file
            raise

    # Each format fills in _write; _setup and _finish are optional hooks, empty on purpose: JSONL
    # and TXT need no header or footer, so making them abstract would force no-op overrides.
    def _setup(self) -> None:  # noqa: B027  (optional hook, see above)
        ...

    @abstractmethod
    def _write(self, doc: Document) -> None: ...

    def _finish(self) -> None:  # noqa: B027  (optional hook, see above)
        ...

    def write(self, doc: Document) -> None:
        self._write(doc)

    def commit(self) -> None:
        self._finish()
        if self._gz is not None:
            self._gz.close()
        self.atomic.commit()

    def abort(self) -> None:
        self.atomic.abort()


class JsonlWriter(FileWriter):
    def _write(self, doc: Document) -> None:
        if isinstance(doc.raw, str) and _unchanged(doc, self.options):
            line = doc.raw
        else:
            ascii_only = isinstance(doc.raw, str) and doc.raw.isascii() and "\\u" in doc.raw
            line = json.dumps(_updated_record(doc, self.options), ensure_ascii=ascii_only)
        self.out.write(line.encode("utf-8") + b"\n")


class CsvWriter(FileWriter):
    def _setup(self) -> None:
        bom, terminator = csv_layout(self.source.path) if not self.source.gzipped else (False, "\n")
        if bom:
            self.out.write(b"\xef\xbb\xbf")
        self.text = io.TextIOWrapper(self.out, encoding="utf-8", newline="", write_through=True)
        self.writer = csv.writer(self.text, lineterminator=terminator)
        self.header: list[str] | None = None

    def _write(self, doc: Document) -> None:
        record = _updated_record(doc, self.options)
        if self.header is None:
            self.header = list(doc.record)
            self.writer.writerow(self.header)
        self.writer.writerow(["" if record.get(k) is None else record.get(k) for k in self.header])

    def _finish(self) -> None:
        if self.header is None:
            # No records: keep the header line, so the file is still a valid (empty) table.
            with open(self.source.path, encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh), None)
            if header:
                self.writer.writerow(header)
        self.text.flush()
        self.text.detach()


class ParquetWriter(FileWriter):
    BATCH = 1024

    def _setup(self) -> None:
        import pyarrow.parquet as pq

        self.schema = pq.read_schema(self.source.path)
        self.rows: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(self.out, self.schema)

    def _flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def _write(self, doc: Document) -> None:
        self.rows.append(_updated_record(doc, self.options))
        if len(self.rows) >= self.BATCH:
            self._flush()

    def _finish(self) -> None:
        self._flush()
        self.writer.close()


class TxtWriter(FileWriter):
    def _write(self, doc: Document) -> None:
        if not isinstance(doc.raw, str):
            content = "\n\n".join(p for p in (doc.record.get("source"), doc.title, doc.text) if p)
        else:
            # Put the new title and body into the original frame: label, separators, trailing newline.
            layout = parse_txt(doc.raw)
            t0, t1 = layout.title_span or (0, 0)
            b0, b1 = layout.body_span
            if not doc.text and b0 != b1:
                b0 = t1  # the body went away entirely: drop the separator before it too
            content = doc.raw[:t0] + (doc.title or "") + doc.raw[t1:b0] + doc.text + doc.raw[b1:]
        self.out.write(content.encode("utf-8"))


WRITERS: dict[str, type[FileWriter]] = {
    "jsonl": JsonlWriter,
    "csv": CsvWriter,
    "parquet": ParquetWriter,
    "txt": TxtWriter,
}


def open_writer(source: InputFile, target: Path, options: ReadOptions) -> FileWriter:
    return WRITERS[source.format](source, target, options)


def output_path(source: InputFile, output: Path, many_inputs: bool) -> Path:
    """Where the output for `source` goes under `-o output`.

    One file in, `output` not a folder: `output` is the file. Otherwise `output` is a folder that
    mirrors each named input below it (under the input's own name when several were named)."""
    if source.root == source.path and not many_inputs and not output.is_dir():
        return output
    rel = source.path.relative_to(source.root) if source.root != source.path else Path(source.path.name)
    return output / source.root.name / rel if many_inputs and source.root != source.path else output / rel


def real_path(path: Path) -> Path:
    """`path` with its links resolved as far as they go: `Path.resolve` raises on a symlink loop
    (which the reader then names as unreadable)."""
    return Path(os.path.realpath(path))


def check_output(files: Iterable[InputFile], output: Path | None, in_place: bool) -> None:
    """Refuse outputs that would overwrite or land inside what is being read."""
    if output is None:
        return
    out = real_path(output)
    for f in files:
        src = real_path(f.path)
        root = real_path(f.root)
        if out == src:
            raise OutputError(f"{output}: output would overwrite its input {f.path}; use --in-place to rewrite inputs")
        if root.is_dir() and (out == root or root in out.parents):
            raise OutputError(f"{output}: output is inside the input folder {f.root}; write it elsewhere")


def plan_outputs(
    files: Sequence[InputFile], output: Path | None, in_place: bool, many_inputs: bool
) -> dict[Path, Path]:
    """The output path of every input file (by input path), refusing a plan in which an output
    would overwrite an input (unless `in_place`) or two inputs would write the same output."""
    if in_place:
        return {f.path: f.path for f in files}
    if output is None:
        return {}
    check_output(files, output, in_place)
    inputs = {real_path(f.path): f.path for f in files}
    plan: dict[Path, Path] = {}
    taken: dict[Path, Path] = {}
    for f in files:
        target = output_path(f, output, many_inputs)
        resolved = real_path(target)
        if resolved in inputs:
            raise OutputError(
                f"{target}: output would overwrite the input {inputs[resolved]}; use --in-place to rewrite inputs"
            )
        if resolved in taken:
            raise OutputError(
                f"{target}: both {taken[resolved]} and {f.path} would be written here; name the inputs' folders instead"
            )
        taken[resolved] = f.path
        plan[f.path] = target
    return plan
