"""The public API: every name imports, JAX stays unloaded, every name is documented."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest

import crtransport

DOCS_API = pathlib.Path(__file__).resolve().parents[1] / "docs" / "api"
SUBPACKAGES = [
    "coefficients",
    "turbulence",
    "pusher",
    "transport",
    "theory",
    "units",
    "dataset",
    "datasets",
    "surrogate",
]


@pytest.mark.parametrize("name", crtransport.__all__)
def test_top_level_names_import(name):
    assert getattr(crtransport, name) is not None


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_subpackage_all_imports_and_is_documented(sub):
    module = importlib.import_module(f"crtransport.{sub}")
    page = DOCS_API / f"{sub}.rst"
    text = page.read_text() if page.exists() else ""
    for name in module.__all__:
        assert hasattr(module, name), f"{sub}.{name} in __all__ but missing"
        assert name in text, f"crtransport.{sub}.{name} is not in docs/api/{sub}.rst"


def test_import_does_not_load_jax_or_xarray():
    code = (
        "import sys, crtransport; crtransport.simulate; "
        "print('jax' in sys.modules, 'xarray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_version():
    assert crtransport.__version__.count(".") == 2
