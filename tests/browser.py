"""Debian's chromium, headless, for the review pages: the DOM after the page's script ran, and
screenshots. `CHROMIUM` is None where it is not installed (the tests that need it skip)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def _run(args: list[str], timeout: float = 60) -> str:
    assert CHROMIUM, "chromium is not installed"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM once loaded (its script has run), opened from file:// with `#fragment`."""
    return _run(["--dump-dom", page.resolve().as_uri() + (f"#{fragment}" if fragment else "")])


def screenshot(page: Path, png: Path, fragment: str = "", size: tuple[int, int] = (1200, 900)) -> None:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={png.resolve()}", url])


class Elements(HTMLParser):
    """Every element's tag, attributes and text (its own and its descendants'), in document order;
    `marks`/`owns` of each element: the text of the <mark> and .own spans inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    VOID = {"meta", "input", "br", "img", "link", "hr"}

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "marks": [], "owns": [], "in": [id(o) for o in self._open]}
        self.found.append(el)
        if tag not in self.VOID:
            self._open.append(el)

    def handle_endtag(self, tag):
        while self._open:
            el = self._open.pop()
            if el["tag"] == tag:
                break

    def handle_data(self, data):
        inner = self._open[-1] if self._open else None
        kind = None
        if inner is not None and inner["tag"] == "mark":
            kind = "marks"
        elif inner is not None and "own" in inner["attrs"].get("class", "").split():
            kind = "owns"
        for el in self._open:
            el["text"] += data
            if kind and el is not inner:
                el[kind].append(data)

    def having(self, tag: str, cls: str | None = None, inside: dict | None = None) -> list[dict]:
        """The elements `<tag class="cls">`, those within `inside` only if given."""
        return [
            e
            for e in self.found
            if e["tag"] == tag
            and (cls is None or cls in e["attrs"].get("class", "").split())
            and (inside is None or id(inside) in e["in"])
        ]
