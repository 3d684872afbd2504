"""What a new user reads first: the README and the quick start (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: characters of code that fit the docs' content column without scrolling
CODE_WIDTH = 84


def _md_code_lines(text: str) -> list[str]:
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            out.append(line)
    return out


def _rst_code_lines(text: str) -> list[str]:
    out, indent = [], None
    for line in text.splitlines():
        if re.match(r"\s*\.\. code-block::", line):
            indent = len(line) - len(line.lstrip())
            continue
        if indent is not None:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                indent = None
            elif line.strip():
                out.append(line[indent + 3 :])
    return out


def test_readme_and_quickstart_code_fits_the_page():
    lines = _md_code_lines((ROOT / "README.md").read_text())
    lines += _rst_code_lines((ROOT / "docs" / "quickstart.rst").read_text())
    assert len(lines) > 40
    long = [line for line in lines if len(line) > CODE_WIDTH]
    assert long == []


def test_install_commands_use_python3():
    # "python" is Python 2 or missing on many machines; README and CI say the same thing
    for path in (ROOT / "README.md", ROOT / ".ci" / "run", ROOT / "docs" / "install.rst"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"(?<![\w.])python -m venv", text), path
    assert "python3 -m venv" in (ROOT / "README.md").read_text()


def test_examples_page_promises_only_what_exists():
    text = (ROOT / "examples" / "README.rst").read_text()
    # it promised "each runs in under a minute" (the training example took 87 s) and described
    # run_*.py scripts that do not exist
    assert "under a minute" not in text
    scripts = list((ROOT / "examples").rglob("run_*.py"))
    assert ("run_" in text) == bool(scripts)
    assert all(p.name.startswith("plot_") for p in (ROOT / "examples").rglob("*.py"))
