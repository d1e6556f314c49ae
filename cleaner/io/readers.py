"""Readers: files on disk -> a stream of `Document` (or `Rejected`) records, in input order.

Each reader is a generator over one file. A record that cannot be read becomes a `Rejected` with
its location and reason, and reading goes on with the next record where the format allows it (a
bad JSONL line) or stops where it cannot (a truncated gzip stream). Deciding whether a rejection
stops the run is the caller's job (`strict`), so that `--skip-invalid` needs no second code path.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from cleaner.errors import InputError, os_reason
from cleaner.model import Document, Origin, Rejected
from cleaner.progress import Meter

FORMATS = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}

# Records of several MB are real (whole books pasted into a body); the csv module's default
# 128 KiB cap would reject them.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    title_field: str = "title"
    id_field: str = "id"
    # Some dumps join paragraphs with a marker (e.g. " ### ") instead of blank lines.
    paragraph_sep: str | None = None
    # The field that names each record's site or publisher (`Document.source`); None: not read.
    source_field: str | None = None


@dataclass(frozen=True)
class InputFile:
    path: Path
    root: Path  # the path the user named (a folder, or the file itself); outputs mirror below it
    format: str

    @property
    def gzipped(self) -> bool:
        return self.path.name.endswith(".gz")


@dataclass(frozen=True)
class Span:
    """A part of a file (a Ray shard, `cleaner.io.shards`) and the numbering it continues: bytes
    `start` .. `end` of a plain JSONL file, cut at line starts, or Parquet row groups `start` ..
    `end`; `record` and `line` records and lines come before it. Other formats are read whole."""

    start: int = 0
    end: int | None = None
    record: int = 0
    line: int = 0


def detect_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> list[InputFile]:
    """Expand the paths the user named into the article files to read, folders recursively in
    sorted order, hidden files and folders (`.git`) skipped. A path that does not exist, or a
    named file of no known format, is an error before anything is read."""
    files: list[InputFile] = []
    for p in paths:
        path = Path(p)
        if not path.exists() and not path.is_symlink():
            raise InputError(str(path), "no such file or directory")
        if path.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(path, onerror=_unreadable_folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    child = Path(dirpath) / name
                    fmt = detect_format(child)
                    if fmt and not name.startswith("."):
                        found.append(InputFile(child, path, fmt))
            files.extend(sorted(found, key=lambda f: f.path.as_posix()))
        else:
            fmt = detect_format(path)
            if fmt is None:
                known = ", ".join(sorted(FORMATS))
                raise InputError(str(path), f"unknown file type (known: {known})")
            files.append(InputFile(path, path, fmt))
    return files


def _unreadable_folder(e: OSError) -> None:
    # os.walk would skip a folder it cannot list, and the run would quietly miss its articles.
    raise InputError(str(e.filename), f"cannot read folder: {os_reason(e)}")


def read_documents(
    paths: Iterable[str | os.PathLike[str]], options: ReadOptions | None = None
) -> Iterator[Document | Rejected]:
    """Read every record of every file under `paths`, in order."""
    options = options or ReadOptions()
    for f in iter_input_files(paths):
        yield from read_file(f, options)


def strict(items: Iterable[Document | Rejected]) -> Iterator[Document]:
    """Pass documents through; stop at the first rejected record with an `InputError`."""
    for item in items:
        if isinstance(item, Rejected):
            raise InputError(str(item.origin), item.reason)
        yield item


@dataclass
class ReadCount:
    """Records read and rejected so far (read = accepted + rejected)."""

    read: int = 0
    rejected: int = 0


def accepted(
    items: Iterable[Document | Rejected],
    skip_invalid: bool,
    count: ReadCount,
    on_reject: Callable[[Rejected], None] | None = None,
) -> Iterator[Document]:
    """The documents of `items`, counted. A rejected record stops the read with an `InputError`,
    or with `skip_invalid` is counted and handed to `on_reject`."""
    for item in items:
        count.read += 1
        if isinstance(item, Rejected):
            if not skip_invalid:
                raise InputError(str(item.origin), item.reason)
            count.rejected += 1
            if on_reject:
                on_reject(item)
            continue
        yield item


def read_file(
    f: InputFile, options: ReadOptions, meter: Meter | None = None, span: Span | None = None
) -> Iterator[Document | Rejected]:
    """The records of one file. A file that cannot be read (a broken link, a symlink loop,
    permissions) or is no regular file (a fifo would wait for a writer forever) is one rejected
    record. A file that was removed, replaced or changed in size or time while it was read is an
    `InputError` (even with --skip-invalid): what was read is no version of the file. `meter`
    learns how far into the file the reader is, and its size once it is read. `span`: only that
    part of the file (JSONL and Parquet), numbered as in the whole file."""
    reader = {"txt": _read_txt, "jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[f.format]
    span = span or Span()
    meter = meter or Meter()
    before: tuple[int, ...] = (0, 0, 0, 0, 0)
    try:
        before = _identity(f.path)
        if not stat.S_ISREG(before[0]):
            kind = _KINDS.get(stat.S_IFMT(before[0]), "not a regular file")
            yield Rejected(Origin(str(f.path), 0), f"cannot read file: {kind}, not an article file")
            return
        for item in reader(f, options, meter, span):
            if isinstance(item, Rejected):
                _unchanged_since(f.path, before)  # a line cut off by a shrinking file is no bad record
            yield item
    except OSError as e:
        # Unreadable file (permissions, a folder named like a file, I/O error).
        yield Rejected(Origin(str(f.path), 0), f"cannot read file: {os_reason(e)}")
        return
    finally:
        meter.finish(before[3])
    _unchanged_since(f.path, before)


def _unchanged_since(path: Path, before: tuple[int, ...]) -> None:
    try:
        after = _identity(path)
    except FileNotFoundError:
        raise InputError(str(path), "the file was removed while it was read") from None
    except OSError as e:
        raise InputError(str(path), f"the file became unreadable while it was read: {os_reason(e)}") from None
    if after != before:
        what = "replaced" if after[1:3] != before[1:3] else f"changed ({before[3]} -> {after[3]} bytes)"
        raise InputError(str(path), f"the file was {what} while it was read; run again once it is complete")


_KINDS = {stat.S_IFIFO: "a fifo", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _identity(path: Path) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


# --- shared field handling -------------------------------------------------------------------


def get_field(record: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Look up `path` in a record: a literal key first, else a dotted path into nested objects."""
    if path in record:
        return True, record[path]
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _make_document(
    record: Mapping[str, Any], origin: Origin, options: ReadOptions, raw: str | bytes | None
) -> Document | Rejected:
    found, text = get_field(record, options.text_field)
    if not found:
        fields = ", ".join(record) or "none"
        return Rejected(
            origin, f"no field '{options.text_field}' (fields: {fields}); choose one with --text-field", _raw_str(raw)
        )
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return Rejected(origin, f"field '{options.text_field}' is {kind}, expected a string", _raw_str(raw))
    found, title = get_field(record, options.title_field)
    if found and title is not None and not isinstance(title, str):
        return Rejected(
            origin, f"field '{options.title_field}' is {type(title).__name__}, expected a string", _raw_str(raw)
        )
    found, doc_id = get_field(record, options.id_field)
    doc_id = str(doc_id) if found and doc_id is not None else f"{origin.path}:{origin.record}"
    source = None
    if options.source_field:
        value = get_field(record, options.source_field)[1]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            why = f"source field '{options.source_field}' is {type(value).__name__}, expected a string"
            return Rejected(origin, why, _raw_str(raw))
        source = source_name(value)
    if options.paragraph_sep:
        text = text.replace(options.paragraph_sep, "\n\n")
    return Document(id=doc_id, title=title, text=text, origin=origin, record=record, raw=raw, source=source)


def source_name(value: str | int | None) -> str | None:
    """A record's source as the boilerplate evidence counts it: the value in lower case, a URL's
    host, either without `www.` (`https://www.bbc.co.uk/news/x` and `www.BBC.co.uk` are
    `bbc.co.uk`, `Reuters` is `reuters`); None where it is empty or a URL without a host."""
    if value is None:
        return None
    source = " ".join(str(value).split()).casefold()
    if "://" in source:
        with contextlib.suppress(ValueError):  # `http://[bad`: not a URL after all, a name
            source = urlsplit(source).hostname or ""
    return source.removeprefix("www.") or None


def _raw_str(raw: str | bytes | None) -> str | None:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw


def _decode(data: bytes) -> tuple[str | None, str]:
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as e:
        return None, f"invalid UTF-8 at byte {e.start} ({data[e.start : e.start + 4]!r})"


# --- JSONL -----------------------------------------------------------------------------------


def _open_binary(f: InputFile, meter: Meter) -> io.BufferedIOBase:
    if not f.gzipped:
        fh = open(f.path, "rb")  # noqa: SIM115
        meter.follow(fh.tell)
        return fh
    zipped = gzip.open(f.path, "rb")  # noqa: SIM115
    meter.follow(zipped.fileobj.tell)  # type: ignore[union-attr]  # the file on disk: compressed bytes
    return zipped


def _read_jsonl(f: InputFile, options: ReadOptions, meter: Meter, span: Span) -> Iterator[Document | Rejected]:
    path = str(f.path)
    record_no = span.record
    line_no = span.line
    with _open_binary(f, meter) as fh:
        if span.start:
            fh.seek(span.start)
        left = -1 if span.end is None else span.end - span.start  # bytes of the span not yet read
        lines = iter(fh)
        while left:
            try:
                data = next(lines)
            except StopIteration:
                return
            except (EOFError, gzip.BadGzipFile, zlib.error) as e:
                yield Rejected(
                    Origin(path, record_no + 1, line_no + 1),
                    f"truncated or corrupt gzip stream, nothing readable after this point ({e})",
                )
                return
            line_no += 1
            left = max(0, left - len(data)) if left > 0 else left
            stripped = data.rstrip(b"\r\n")
            if not stripped.strip():
                continue  # a blank line holds no record
            record_no += 1
            origin = Origin(path, record_no, line_no)
            text, problem = _decode(stripped)
            if text is None:
                yield Rejected(origin, problem, bytes(stripped))
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as e:
                yield Rejected(origin, f"invalid JSON: {e.msg} at column {e.colno}", text)
                continue
            if not isinstance(record, dict):
                yield Rejected(origin, f"expected a JSON object, got {type(record).__name__}", text)
                continue
            yield _make_document(record, origin, options, text)


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(f: InputFile, options: ReadOptions, meter: Meter, span: Span) -> Iterator[Document | Rejected]:
    path = str(f.path)
    record_no = 0
    with _open_binary(f, meter) as fh:
        # utf-8-sig drops a BOM if there is one; the writer puts it back.
        text_stream = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        reader = csv.reader(text_stream, strict=True)
        line_before = 0
        try:
            header = next(reader, None)
            if header is None:
                return
            line_before = reader.line_num
            for row in reader:
                record_no += 1
                origin = Origin(path, record_no, line_before + 1)
                line_before = reader.line_num
                if not row:
                    record_no -= 1
                    continue
                if len(row) != len(header):
                    yield Rejected(
                        origin, f"expected {len(header)} fields as in the header, found {len(row)}", ",".join(row)
                    )
                    continue
                if any("\x00" in cell for cell in row):
                    yield Rejected(
                        origin, "NUL byte in the record: binary data, not text", ",".join(row).replace("\x00", "\\x00")
                    )
                    continue
                yield _make_document(dict(zip(header, row, strict=True)), origin, options, None)
        except csv.Error as e:
            yield Rejected(
                Origin(path, record_no + 1, line_before + 1), f"malformed CSV ({e}), nothing readable after this point"
            )
        except UnicodeDecodeError as e:
            yield Rejected(
                Origin(path, record_no + 1, line_before + 1),
                f"invalid UTF-8 ({e.reason}), nothing readable after this point",
            )
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            yield Rejected(Origin(path, record_no + 1, line_before + 1), f"truncated or corrupt gzip stream ({e})")


def csv_layout(path: Path) -> tuple[bool, str]:
    """Whether a CSV file starts with a BOM, and its line terminator, so writing keeps them."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    bom = head.startswith(b"\xef\xbb\xbf")
    return bom, ("\r\n" if b"\r\n" in head else "\n")


# --- Parquet ---------------------------------------------------------------------------------


def _read_parquet(f: InputFile, options: ReadOptions, meter: Meter, span: Span) -> Iterator[Document | Rejected]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield Rejected(Origin(str(f.path), 0), "reading Parquet needs pyarrow: pip install 'cleaner[parquet]'")
        return
    path = str(f.path)
    try:
        pf = pq.ParquetFile(f.path)
    except Exception as e:  # pyarrow raises several types for a file that is not Parquet
        yield Rejected(Origin(path, 0), f"not a readable Parquet file ({e})")
        return
    columns = pf.schema_arrow.names
    top_text = options.text_field.split(".")[0]
    if options.text_field not in columns and top_text not in columns:
        yield Rejected(
            Origin(path, 0),
            f"no column '{options.text_field}' (columns: {', '.join(columns)}); choose one with --text-field",
        )
        return
    record_no = span.record
    # Where a batch ends in the file is not known: its share of the rows stands for it.
    rows, size = max(1, pf.metadata.num_rows), f.path.stat().st_size
    meter.follow(lambda: size * record_no // rows)
    groups = list(range(span.start, pf.num_row_groups if span.end is None else span.end))
    batches = pf.iter_batches(batch_size=1024, row_groups=groups)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as e:  # pyarrow raises ArrowInvalid, OSError and others for corrupt pages
            yield Rejected(
                Origin(path, record_no + 1), f"corrupt Parquet data, nothing readable after this point ({e})"
            )
            return
        for row in batch.to_pylist():
            record_no += 1
            yield _make_document(row, Origin(path, record_no), options, None)


# --- .txt articles (the seed format) ---------------------------------------------------------

_BLOCK_SEP = regex.compile(r"(?<![ \t])[ \t]*+\r?\n(?:[ \t]*+\r?\n)+")
_END_PUNCT = tuple(".!?:;,")


@dataclass(frozen=True)
class TxtLayout:
    """Where the parts of a .txt article sit in its file text, so a writer can put a new title and
    body back in the same frame (label, separators, trailing newline)."""

    label: str | None
    title_span: tuple[int, int] | None
    body_span: tuple[int, int]


def _is_label(block: str) -> bool:
    words = block.split()
    return "\n" not in block.strip() and 0 < len(words) <= 4 and not block.rstrip().endswith(_END_PUNCT)


def _is_title_like(block: str) -> bool:
    return "\n" not in block.strip() and len(block.split()) <= 40


def parse_txt(content: str) -> TxtLayout:
    blocks = []
    pos = 0
    for m in _BLOCK_SEP.finditer(content):
        if content[pos : m.start()].strip():
            blocks.append((pos, m.start()))
        pos = m.end()
    if content[pos:].strip():
        end = len(content.rstrip())
        blocks.append((pos, end))
    if not blocks:
        return TxtLayout(None, None, (len(content), len(content)))
    label = None
    if len(blocks) >= 3 and _is_label(content[slice(*blocks[0])]) and _is_title_like(content[slice(*blocks[1])]):
        label = content[slice(*blocks[0])].strip()
        blocks = blocks[1:]
    title_span = blocks[0]
    if len(blocks) == 1:
        return TxtLayout(label, title_span, (title_span[1], title_span[1]))
    return TxtLayout(label, title_span, (blocks[1][0], blocks[-1][1]))


def _read_txt(f: InputFile, options: ReadOptions, meter: Meter, span: Span) -> Iterator[Document | Rejected]:
    path = str(f.path)
    data = f.path.read_bytes()
    content, problem = _decode(data)
    origin = Origin(path, 1, 1)
    if content is None:
        yield Rejected(origin, problem, data)
        return
    if "\x00" in content:
        yield Rejected(origin, f"NUL byte at offset {content.index(chr(0))}: a binary file, not an article")
        return
    if not content.strip():
        return  # an empty file is an empty corpus, not an error
    layout = parse_txt(content)
    title = content[slice(*layout.title_span)] if layout.title_span else None
    text = content[slice(*layout.body_span)]
    record = {"source": layout.label} if layout.label is not None else {}
    yield Document(id=f"{path}:1", title=title, text=text, origin=origin, record=record, raw=content)
