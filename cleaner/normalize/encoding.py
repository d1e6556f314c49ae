"""Repairing text decoded with the wrong codec, line by line, as pure functions of a string: what
the unicode rules (`rules.unicode`) apply, and what the boilerplate evidence keys a line by
(`evidence.line_key`), so that a recurring site line is found whether or not its mojibake has
been repaired yet.

Two things go beyond calling ftfy on every line:

- A gate (`may_need_ftfy`) tells, in one regex scan, which text ftfy cannot change, so clean
  text never reaches ftfy. It is built from ftfy's own badness expression, so it is exact by
  construction: ftfy only decodes a line that badness flags, and every badness match holds one
  character of the gate's anchor set at a place where the gate re-checks that match's branch.
- Mojibake inside an otherwise correct line (one damaged sentence in Polish or Turkish text) is
  fixed segment by segment. ftfy decodes a line as a whole, and one correct `ł` or `ş` that its
  single-byte encodings cannot hold makes it give up on the line; each damaged segment given
  alone it repairs.
"""

from __future__ import annotations

import bisect
import codecs
import re
import unicodedata
from collections.abc import Iterator

import ftfy
import ftfy.bad_codecs  # registers the sloppy-windows-* codecs ftfy decodes with
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE, badness

try:  # the regex parser moved in Python 3.11; both spell the same tree
    import re._constants as _c
    from re import _parser
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

MOJIBAKE = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)

# Exactly the characters ftfy's remove_control_chars deletes, so the scan cannot disagree with it.
CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(chardata.CONTROL_CHARS)) + "]")

# --- The gate -------------------------------------------------------------------------------
#
# With `MOJIBAKE`, ftfy.fix_text changes a line only through: the encoding fix, which returns at
# once unless `is_bad(line)` (a BADNESS_RE match); fix_c1_controls (C1 characters, themselves a
# badness branch); fix_surrogates (surrogates); remove_terminal_escapes (an ESC character).
# BADNESS_RE is an alternation scanned branch by branch at every position: about as slow as all
# of ftfy. The gate is the same branches rewritten around one anchor character each,
# `[anchors](?:(?<=before anchor)(?=after)|...)`, which the regex engine scans at C speed for the
# anchors and then checks only there. A branch whose anchor is rare (a C1 control, `Ã`, `€`)
# costs nothing on clean text.


class _Unsupported(Exception):
    """A construct in ftfy's badness expression the rewrite does not know (a newer ftfy)."""


def _set_members(op, av) -> frozenset[str] | None:
    """The characters of a LITERAL or a plain character class, None if it has categories
    (`\\s`, `\\w`) or is negated: those cannot be anchors."""
    if op is _c.LITERAL:
        return frozenset(chr(av))
    if op is not _c.IN:
        return None
    out: set[str] = set()
    for o, a in av:
        if o is _c.LITERAL:
            out.add(chr(a))
        elif o is _c.RANGE:
            out.update(chr(c) for c in range(a[0], a[1] + 1))
        else:
            return None
    return frozenset(out)


def _render(op, av) -> str:
    if op is _c.LITERAL:
        return re.escape(chr(av))
    if op is _c.ANY:
        return "."
    if op is _c.AT and av is _c.AT_BEGINNING:
        return "^"
    if op is _c.IN:
        parts = []
        for o, a in av:
            if o is _c.NEGATE:
                parts.append("^")
            elif o is _c.LITERAL:
                parts.append(re.escape(chr(a)))
            elif o is _c.RANGE:
                parts.append(f"{re.escape(chr(a[0]))}-{re.escape(chr(a[1]))}")
            elif o is _c.CATEGORY and a in _CATEGORIES:
                parts.append(_CATEGORIES[a])
            else:
                raise _Unsupported(f"{o} {a}")
        return "[" + "".join(parts) + "]"
    raise _Unsupported(f"{op} {av}")


def _expand(items: list) -> Iterator[list]:
    """A branch with `x?` items as the branches without and with each of them (fixed width,
    so the part before the anchor can sit in a lookbehind)."""
    for i, (op, av) in enumerate(items):
        if op is _c.MAX_REPEAT:
            lo, hi, sub = av
            if (lo, hi) != (0, 1) or len(sub.data) != 1:
                raise _Unsupported(f"{op} {av}")
            for head in ([], list(sub.data)):
                for tail in _expand(items[i + 1 :]):
                    yield items[:i] + head + tail
            return
    yield items


def _common_in_prose(c: str) -> bool:
    # Only the gate's speed depends on this (which anchor each branch gets), never its result.
    return c in "“”‘’„«»–—…•·\xa0" or (unicodedata.category(c).startswith("L") and ord(c) < 0x0530 and c not in "µªº")


def _build_gate() -> re.Pattern[str] | None:
    try:
        tree = _parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
        ((op, av),) = tree.data
        branches = av[1] if op is _c.BRANCH else [tree]
        anchors: set[str] = set()
        alts = []
        for branch in branches:
            for items in _expand(list(branch.data)):
                choices = []
                for i, item in enumerate(items):
                    members = _set_members(*item)
                    if members and all(ord(c) > 0x7F for c in members):
                        choices.append((sum(map(_common_in_prose, members)), len(members), i, members))
                if not choices:
                    raise _Unsupported("a branch with no non-ASCII character to anchor on")
                _, _, i, members = min(choices, key=lambda c: c[:3])
                anchors |= members
                before = "".join(_render(*it) for it in items[: i + 1])
                after = "".join(_render(*it) for it in items[i + 1 :])
                alts.append(f"(?<={before})" + (f"(?={after})" if after else ""))
    except (_Unsupported, ValueError, TypeError, re.error):
        return None
    anchors |= _SURROGATES
    alts.append("(?<=[\ud800-\udfff])")
    anchor_class = "[" + "".join(re.escape(c) for c in sorted(anchors)) + "]"
    return re.compile(anchor_class + "(?:" + "|".join(alts) + ")", re.MULTILINE)


_CATEGORIES = {
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
}
_SURROGATES = frozenset(chr(c) for c in range(0xD800, 0xE000))
GATE = _build_gate()


def may_need_ftfy(text: str) -> bool:
    """False only when ftfy.fix_text(text, the mojibake rule's config) is sure to return `text`
    unchanged; then the mojibake rule is too (it fixes only lines ftfy's badness flags)."""
    if text.isascii():
        return "\x1b" in text
    if GATE is None or len(text) > MOJIBAKE.max_decode_length:
        # An unknown ftfy expression, or a line ftfy would cut into pieces whose starts `^` sees.
        return True
    return "\x1b" in text or GATE.search(text) is not None


# --- Segment by segment ---------------------------------------------------------------------


def _single_byte_chars() -> str:
    chars = {c for encoding in chardata.CHARMAP_ENCODINGS for c in bytes(range(0x80, 0x100)).decode(encoding)}
    return "".join(re.escape(c) for c in sorted(chars))


# A word: a run of characters that some single-byte encoding ftfy knows can hold, so one that
# mojibake can consist of. Words end at ASCII whitespace (a no-break space, byte A0, and NEL,
# byte 85, are parts of mojibake sequences: `Ã\xa0` is `à`, `Ä\x85` is `ą` read as latin-1) and
# at any character no such encoding holds (CJK, most of Unicode), which no mojibake contains.
_WORD = re.compile(f"[\x21-\x7e{_single_byte_chars()}]+")
_ASCII_SPACE = re.compile(r"[ \t\r\f\v]+")


def _reads_as_utf8(word: str) -> bool:
    """True for ASCII, and for a word that some single-byte encoding ftfy knows turns into bytes
    that read as UTF-8: mojibake, or a correct word that could be. A trailing incomplete
    sequence counts, since a lost no-break space (`Ã ` for `à`) ends it. A correct `ó`, `ü` or
    `ł` followed by letters reads as nothing and stops a segment."""
    if word.isascii():
        return True
    for encoding in chardata.CHARMAP_ENCODINGS:
        try:
            data = word.encode(encoding)
        except UnicodeEncodeError:
            continue
        try:
            codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _clearly_better(before: str, after: str) -> bool:
    return (
        after != before
        and badness(after) < badness(before)
        and after.count("\ufffd") <= before.count("\ufffd")
        and not _ambiguous(before)
    )


def _ambiguous(segment: str) -> bool:
    """Two of ftfy's encodings read the segment as different valid UTF-8 (`DrÃ¥ber` is `Dråber`
    as latin-1 and `Dr̴ber` as MacRoman): ftfy's own rule is not to guess, and a short segment
    cut from its line has lost the context that would tell."""
    readings = set()
    for encoding in chardata.CHARMAP_ENCODINGS:
        try:
            readings.add(segment.encode(encoding).decode("utf-8"))
        except UnicodeError:
            continue
    return len(readings) > 1


def _segments(line: str) -> list[tuple[int, int]]:
    """Spans of `line` to decode on their own: the words around each badness match, grown word
    by word (across ASCII spaces only) while the next word reads as UTF-8 too; spans sharing a
    word joined. Linear in the line (a page-long line of mojibake has thousands of matches): no
    span grows back into the one before it."""
    words = [m.span() for m in _WORD.finditer(line)]
    starts, ends = [w[0] for w in words], [w[1] for w in words]
    fits: dict[int, bool] = {}

    def fit(i: int) -> bool:
        if i not in fits:
            fits[i] = _reads_as_utf8(line[starts[i] : ends[i]])
        return fits[i]

    def joined(i: int) -> bool:  # word i and word i + 1 are separated by ASCII spaces only
        return _ASCII_SPACE.fullmatch(line, ends[i], starts[i + 1]) is not None

    spans: list[list[int]] = []  # [first word, last word]
    for m in BADNESS_RE.finditer(line):
        first, last = bisect.bisect_right(ends, m.start()), bisect.bisect_left(starts, m.end()) - 1
        if first > last or (spans and last <= spans[-1][1]):
            continue  # a match in spaces only, or inside the span before
        floor = spans[-1][1] + 1 if spans else 0
        lo = max(first, floor)
        grown = all(fit(i) for i in range(lo, last + 1))
        if grown:
            while lo > floor and joined(lo - 1) and fit(lo - 1):
                lo -= 1
            while last < len(words) - 1 and joined(last) and fit(last + 1):
                last += 1
        if spans and (first < floor or (grown and lo == floor and joined(floor - 1) and fit(floor - 1))):
            spans[-1][1] = last
        else:
            spans.append([lo, last])
    return [(starts[a], ends[b]) for a, b in spans]


def _fix_segments(line: str) -> str:
    out, pos = [], 0
    for start, end in _segments(line):
        segment = line[start:end]
        fixed = _fix_encoding(segment)
        if not _clearly_better(segment, fixed):
            # Words of two different encodings in one run: try each damaged word alone.
            fixed = _WORD.sub(lambda m: _fix_word(m.group()), segment)
        if _clearly_better(segment, fixed):
            out += [line[pos:start], fixed]
            pos = end
    return "".join(out) + line[pos:]


def _fix_word(word: str) -> str:
    fixed = _fix_encoding(word)
    return fixed if _clearly_better(word, fixed) else word


def _fix_encoding(s: str) -> str:
    return ftfy.fix_text(s, MOJIBAKE)


def fix_mojibake_line(line: str) -> str:
    """ftfy on the whole line, as ftfy would, against the damaged segments decoded one by one
    and then ftfy on what is left: the result with less badness wins, then the shorter (every
    decoding shortens mojibake, so the shorter decoded more), then ftfy's. ftfy's own badness
    misses some leftovers (`yoÄŸun`, `ochranÄ›`), so a whole-line result without badness may still
    lose to the segments'."""
    if not may_need_ftfy(line):
        return line
    whole = _fix_encoding(line)
    if not BADNESS_RE.search(line) or not (BADNESS_RE.search(whole) or chardata.UTF8_DETECTOR_RE.search(whole)):
        return whole  # nothing to segment, or ftfy left nothing that looks like UTF-8 read wrong
    by_segment = _fix_encoding(_fix_segments(line))
    return by_segment if (badness(by_segment), len(by_segment)) < (badness(whole), len(whole)) else whole


def unescape_all(line: str) -> str:
    # Each pass of ftfy's unescape peels one `amp;`; a line escaped fourteen times would need
    # more passes than the engine allows. Stop when a pass changes nothing.
    for _ in range(64):
        unescaped = fixes.unescape_html(line)
        if unescaped == line:
            break
        line = unescaped
    return line


def remove_control_chars(line: str) -> str:
    return fixes.remove_control_chars(line) if CONTROL.search(line) else line
