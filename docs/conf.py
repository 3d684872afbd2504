"""Sphinx configuration for crtransport (built by ``nox -s docs`` with -W --keep-going -n)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import crtransport

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _general_database_table
import _general_model_table
import _pretrained_tables
import _run_rules_table
import _theory_tables

_general_database_table.write(Path(__file__).resolve().parent)
_general_model_table.write(Path(__file__).resolve().parent)
_pretrained_tables.write(Path(__file__).resolve().parent)
_run_rules_table.write(Path(__file__).resolve().parent)
_theory_tables.write(Path(__file__).resolve().parent)

project = "crtransport"
author = "crtransport developers"
copyright = "2026, crtransport developers"
release = crtransport.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax 3 shipped in a Python package and copied into _static/mathjax: math renders
    # without network access (cluster login nodes, these machines); see tests/test_docs_offline.py
    "sphinx-mathjax-offline",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "inherited-members": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False
# The machines that build the docs have no internet: no intersphinx inventories are fetched.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(numpy|np|xarray|xr|jax|optax|numba|scipy|concurrent|collections|typing|os|"
        r"pathlib|matplotlib|dask|mpi4py|argparse)\..*",
    ),
    (
        r"py:.*",
        r"(NDArray|ArrayLike|ndarray|array_like|optional|callable|Any|Literal|"
        r"float64|float32|int64|Path|PathLike|Mapping|Sequence|Callable|Iterable|Executor|"
        r"SeedSequence|Generator|Dataset|DataArray|GradientTransformation|Array|Axes|Figure|"
        r"ModelName|Seed|Direction|PathLike\[str\]|default|shape|of|or|tuple|dict|list)",
    ),
    (r"py:.*", r".*\b(n_particles|n_save|n_waves|n_realizations|n_points|n_samples|n|3|2)\b.*"),
    (r"py:.*", r"crtransport\..*\._.*"),
    (r"py:.*", r".*'.*'.*"),
    (r"py:.*", r"[A-Z][A-Za-z]*\[.*\]"),
    # numpydoc "default: x" and literal values in type fields
    (r"py:.*", r"default:.*"),
    (r"py:.*", r"[-+0-9.e]+"),
    (r"py:.*", r"(True|False|None|inf|str|int|float|bool|callable|array|optional)"),
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "**.codeobj.json",
    "generated/*",  # included pieces, e.g. the pretrained models' tables
]
# furo: a maintained theme with a wide, responsive content column (code and tables are not cut
# at 650 px as with alabaster), light and dark modes, and no assets fetched from the network.
html_theme = "furo"
html_title = f"crtransport {release}"
html_static_path = ["_static"]
html_css_files = ["crtransport.css"]
html_theme_options = {
    "sidebar_hide_name": False,
    "navigation_with_keys": True,
}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # every example is a plot_*.py and runs at build time (examples/README.rst says so)
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__|_helpers)\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    # the timing pages load jQuery and DataTables from CDNs: not written, the docs stay offline
    "write_computation_times": False,
}
suppress_warnings = ["config.cache"]
