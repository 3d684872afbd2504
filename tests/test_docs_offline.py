"""The docs work offline: no page loads a script, style sheet or font from the network, and the
math of the theory page is typeset by the bundled MathJax in a headless browser (issue 17).

The scanner test is fast. Building the docs needs the ``docs`` extra (Sphinx, furo,
sphinx-mathjax-offline) and the browser check needs ``chromium`` (Debian package): each is
skipped, saying which is missing, where they are not installed. ``nox -s docs_offline`` runs
both with everything installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _scanner():
    spec = importlib.util.spec_from_file_location("_offline", ROOT / "docs" / "_offline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scanner_finds_scripts_styles_and_fonts_from_other_hosts(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<script src="_static/mathjax/tex-chtml.js"></script>'
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
        '</script><a href="https://arxiv.org">a link is fine</a>'
    )
    (tmp_path / "sub" / "page.html").write_text(
        "<link rel='stylesheet' href='//fonts.example.org/x.css'><img src='../a.png'>"
    )
    (tmp_path / "theme.css").write_text(
        "@import url('https://fonts.example.org/y.css'); a { background: url(img/b.png) }"
    )
    found = _scanner().external_references(tmp_path)
    assert sorted(found) == [
        ("index.html", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"),
        (str(Path("sub") / "page.html"), "//fonts.example.org/x.css"),
        ("theme.css", "https://fonts.example.org/y.css"),
    ]


def _missing_docs_tools() -> list[str]:
    names = {"sphinx": "sphinx", "furo": "furo", "sphinx_gallery": "sphinx-gallery"}
    missing = [pip for mod, pip in names.items() if importlib.util.find_spec(mod) is None]
    if importlib.util.find_spec("sphinx-mathjax-offline") is None:
        missing.append("sphinx-mathjax-offline")
    return missing


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    missing = _missing_docs_tools()
    if missing:
        pytest.skip(
            f"docs extra not installed (missing {', '.join(missing)}): pip install -e '.[docs]'"
        )
    out = tmp_path_factory.mktemp("html")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-n",
         "-D", "sphinx_gallery_conf.plot_gallery=0", "-d", str(out / ".doctrees"),
         str(ROOT / "docs"), str(out)],
        check=True, env=env, cwd=ROOT,
    )  # fmt: skip
    return out


@pytest.mark.slow
def test_no_built_page_loads_anything_from_the_network(built_docs):
    assert _scanner().external_references(built_docs) == []
    assert (built_docs / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert 'src="_static/mathjax/tex-chtml.js"' in (built_docs / "theory.html").read_text()


@pytest.mark.slow
def test_theory_math_is_typeset_in_a_headless_browser(built_docs):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless browser: apt-get install chromium")
    page = built_docs / "theory.html"
    raw = page.read_text()
    assert raw.count("\\(") > 20  # the page's inline math, before MathJax runs
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert dom.count("<mjx-container") > 20
    # what is left once the typeset math, scripts and styles are taken out: no raw TeX
    text = re.sub(r"<mjx-container.*?</mjx-container>", "", dom, flags=re.DOTALL)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.DOTALL)
    assert "\\(" not in text and "\\[" not in text


def test_accuracy_table_numbers_do_not_wrap():
    spec = importlib.util.spec_from_file_location(
        "_pretrained_tables", ROOT / "docs" / "_pretrained_tables.py"
    )
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    # "138 125 %" was wrapped over three lines in its column: no breakable space inside a number
    assert tables._pct(1381.25) == "138\u00a0125\u00a0%"
    assert " " not in tables._pct(29928.15) and " " not in tables._pct(0.0237)
