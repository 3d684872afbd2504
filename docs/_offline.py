"""Find what a built HTML page would fetch from the network (the docs must work offline).

``python docs/_offline.py BUILD_DIR`` lists every ``<script src>``, ``<link href>`` (style
sheets, fonts, icons), ``<img src>`` and ``<iframe src>`` that points to another host, and
CSS ``@import``/``url()`` with an absolute URL, and exits 1 if there is any. Plain hyperlinks
(``<a href>``) are not counted: following a link is the reader's choice, loading a script is not.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_TAG = re.compile(r"<(script|link|img|iframe|source)\b[^>]*>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""\b(src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:@import\s+|url\(\s*)["']?((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)


def _is_external(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


def external_references(build_dir: str | Path) -> list[tuple[str, str]]:
    """``(file, url)`` for each resource a built page or style sheet loads from the network."""
    root = Path(build_dir)
    found: list[tuple[str, str]] = []
    for page in sorted(root.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for tag in _TAG.finditer(text):
            for _, url in _ATTR.findall(tag.group(0)):
                if _is_external(url):
                    found.append((str(page.relative_to(root)), url))
    for sheet in sorted(root.rglob("*.css")):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        found.extend((str(sheet.relative_to(root)), url) for url in _CSS_URL.findall(text))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/_offline.py BUILD_DIR", file=sys.stderr)
        return 2
    found = external_references(argv[0])
    for name, url in found:
        print(f"{name}: loads {url}")
    pages = len(list(Path(argv[0]).rglob("*.html")))
    print(f"{len(found)} external resources in {pages} pages")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
