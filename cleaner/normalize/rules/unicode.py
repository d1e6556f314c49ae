"""Broken unicode: mojibake, HTML entities and control characters, fixed with ftfy.

ftfy runs with every option that would change legitimate typography turned off: quotes stay
curly, full-width and ligature characters stay, line breaks and Unicode normalization stay as
they are. Each rule reports one edit per changed line, narrowed to the part that changed. The
repairs themselves (the gate that keeps clean text from ftfy, mojibake fixed segment by segment)
are `cleaner.normalize.encoding`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ftfy import chardata, fixes

from cleaner.normalize.encoding import CONTROL, fix_mojibake_line, may_need_ftfy, unescape_all
from cleaner.normalize.registry import Change, RuleContext, rule


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) for each line, split after `\\n` only, as ftfy splits: `\\x85` and the
    other characters `str.splitlines` breaks on are mojibake material, not line ends."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        yield pos, text[pos:end]
        pos = end


def _line_changes(text: str, fix: Callable[[str], str]) -> list[Change]:
    """Apply `fix` line by line; one `fixed` change per changed line, trimmed to the differing
    middle so the edit shows only what changed."""
    changes = []
    for pos, line in _lines(text):
        fixed = fix(line)
        if fixed != line:
            a = 0
            while a < min(len(line), len(fixed)) and line[a] == fixed[a]:
                a += 1
            b = 0
            while b < min(len(line), len(fixed)) - a and line[-1 - b] == fixed[-1 - b]:
                b += 1
            changes.append(Change(pos + a, pos + len(line) - b, fixed[a : len(fixed) - b], "fixed"))
    return changes


@rule("mojibake", "unicode", fields=("title", "text"))
def mojibake(text: str, ctx: RuleContext) -> list[Change]:
    """Text decoded with the wrong codec: `Ã©` for `é`, `â€™` for `’`.

    Fixes: `cafÃ©` -> `café`; `donâ€™t` -> `don’t`; `ÄŒeÅ¡tina` -> `Čeština`; one damaged
    sentence in an otherwise correct Polish, Turkish or Czech line (`Zażółć. MiaÅ‚em kota.` ->
    `Zażółć. Miałem kota.`), segment by segment, when ftfy gives up on the line as a whole.
    Leaves alone: correct accents, curly quotes, emoji, CJK, `Ã` in a real word (`SÃO PAULO`
    typed in capitals), text ftfy does not find to be mojibake, every correctly encoded
    character outside a damaged segment, a segment whose decoding ftfy's badness does not
    find better or that would gain a replacement character.
    """
    if not may_need_ftfy(text):
        return []
    return _line_changes(text, fix_mojibake_line)


@rule("html-entities", "unicode", fields=("title", "text"))
def html_entities(text: str, ctx: RuleContext) -> list[Change]:
    """HTML character references left in plain text: `&amp;`, `&#8217;`, `&quot;`.

    Fixes: `AT&amp;T` -> `AT&T`; `it&#8217;s` -> `it’s`; an entity escaped again and again by a
    pipeline (`&amp;amp;amp;nbsp;` -> a no-break space) in one go, not one level per pass.
    Leaves alone: a bare `&` (`R&D`, `AT&T`), text that contains markup (`<b>` with `&lt;`), which
    ftfy does not unescape.
    """
    if "&" not in text or not chardata.HTML_ENTITY_RE.search(text):
        return []
    return _line_changes(text, unescape_all)


@rule("control-chars", "unicode", fields=("title", "text"))
def control_chars(text: str, ctx: RuleContext) -> list[Change]:
    """Invisible control characters: C0 controls other than tab and line breaks, DEL, a BOM
    inside the text, deprecated format characters.

    Fixes: `a\\x07b` -> `ab`; `\\ufeffHello` -> `Hello`.
    Leaves alone: tab, line feed, carriage return, form feed, zero-width joiners (emoji
    sequences), direction marks.
    """
    if not CONTROL.search(text):
        return []
    return _line_changes(text, fixes.remove_control_chars)
