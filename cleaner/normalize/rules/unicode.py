"""Broken unicode: mojibake, HTML entities and control characters, fixed with ftfy.

ftfy runs with every option that would change legitimate typography turned off: quotes stay
curly, full-width and ligature characters stay, line breaks and Unicode normalization stay as
they are. Each rule reports one edit per changed line, narrowed to the part that changed.
"""

from __future__ import annotations

from collections.abc import Callable

import ftfy
import regex
from ftfy import fixes

from cleaner.normalize.registry import Change, RuleContext, rule

_MOJIBAKE = ftfy.TextFixerConfig(
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


# The characters ftfy's remove_control_chars deletes; checked first so clean text costs one scan.
_CONTROL = regex.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]")


def _line_changes(text: str, fix: Callable[[str], str]) -> list[Change]:
    """Apply `fix` line by line; one `fixed` change per changed line, trimmed to the differing
    middle so the edit shows only what changed."""
    changes = []
    pos = 0
    for line in text.splitlines(keepends=True):
        fixed = fix(line)
        if fixed != line:
            a = 0
            while a < min(len(line), len(fixed)) and line[a] == fixed[a]:
                a += 1
            b = 0
            while b < min(len(line), len(fixed)) - a and line[-1 - b] == fixed[-1 - b]:
                b += 1
            changes.append(Change(pos + a, pos + len(line) - b, fixed[a : len(fixed) - b], "fixed"))
        pos += len(line)
    return changes


def _fix_encoding(s: str) -> str:
    return ftfy.fix_text(s, _MOJIBAKE)


@rule("mojibake", "unicode", fields=("title", "text"))
def mojibake(text: str, ctx: RuleContext) -> list[Change]:
    """Text decoded with the wrong codec: `Ã©` for `é`, `â€™` for `’`.

    Fixes: `cafÃ©` -> `café`; `donâ€™t` -> `don’t`; `ÄŒeÅ¡tina` -> `Čeština`.
    Leaves alone: correct accents, curly quotes, emoji, CJK, `Ã` in a real word (`SÃO PAULO`
    typed in capitals), text ftfy does not find to be mojibake.
    """
    if text.isascii() or _fix_encoding(text) == text:
        return []
    return _line_changes(text, _fix_encoding)


@rule("html-entities", "unicode", fields=("title", "text"))
def html_entities(text: str, ctx: RuleContext) -> list[Change]:
    """HTML character references left in plain text: `&amp;`, `&#8217;`, `&quot;`.

    Fixes: `AT&amp;T` -> `AT&T`; `it&#8217;s` -> `it’s`; an entity escaped again and again by a
    pipeline (`&amp;amp;amp;nbsp;` -> a no-break space) in one go, not one level per pass.
    Leaves alone: a bare `&` (`R&D`, `AT&T`), text that contains markup (`<b>` with `&lt;`), which
    ftfy does not unescape.
    """
    if "&" not in text:
        return []
    return _line_changes(text, _unescape_all)


def _unescape_all(line: str) -> str:
    # Each pass of ftfy's unescape peels one `amp;`; a line escaped fourteen times would need
    # more passes than the engine allows. Stop when a pass changes nothing.
    for _ in range(64):
        unescaped = fixes.unescape_html(line)
        if unescaped == line:
            break
        line = unescaped
    return line


@rule("control-chars", "unicode", fields=("title", "text"))
def control_chars(text: str, ctx: RuleContext) -> list[Change]:
    """Invisible control characters: C0 controls other than tab and line breaks, DEL, a BOM
    inside the text, deprecated format characters.

    Fixes: `a\\x07b` -> `ab`; `\\ufeffHello` -> `Hello`.
    Leaves alone: tab, line feed, carriage return, form feed, zero-width joiners (emoji
    sequences), direction marks.
    """
    if not _CONTROL.search(text):
        return []
    return _line_changes(text, fixes.remove_control_chars)
