"""The schema is the single source: docs and public API agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import crtransport
import crtransport.dataset as dataset
from crtransport.dataset._schema import GLOBAL_ATTRS, RESULT_FIELDS, VARIABLES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_variable_has_units_and_long_name():
    for spec in VARIABLES.values():
        assert spec.units
        assert spec.long_name
        assert spec.attrs()["units"] == spec.units


def test_result_fields_exclude_builder_fields():
    assert "is_analytic" not in RESULT_FIELDS
    assert "seed_index" not in RESULT_FIELDS
    assert {"D_perp", "D_perp_err", "D_par", "D_par_err", "wall_time"} <= set(RESULT_FIELDS)


def test_guide_schema_table_matches_schema():
    text = (DOCS / "guide" / "dataset.rst").read_text()
    table = text[text.index("Schema (version") :]
    for spec in VARIABLES.values():
        pattern = (
            rf"\* - ``{re.escape(spec.name)}``( \(optional\))?\n"
            rf"\s+- {re.escape(', '.join(spec.dims))}\n"
            rf"\s+- {spec.dtype}\n\s+- ``{re.escape(spec.units)}``"
        )
        assert re.search(pattern, table), spec.name
    for attr in GLOBAL_ATTRS:
        assert f"``{attr}``" in table


def test_api_page_lists_exactly_all():
    text = (DOCS / "api" / "dataset.rst").read_text()
    block = text.split(":toctree: generated", 1)[1].split("\n\n", 2)[1]
    listed = [line.strip() for line in block.splitlines() if line.strip()]
    assert sorted(listed) == sorted(dataset.__all__)


def test_top_level_reexports():
    assert crtransport.build_dataset is dataset.build_dataset
    assert crtransport.open_dataset is dataset.open_dataset
