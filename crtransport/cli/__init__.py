"""The ``crtransport`` command line: a thin layer over the public API.

Commands: ``simulate`` (:func:`crtransport.simulate`), ``build`` and ``repair-journal``
(:func:`crtransport.build_dataset`, :func:`crtransport.dataset.repair_journal`), ``train`` and
``predict`` (:class:`crtransport.Surrogate`), ``coefficients``
(:func:`crtransport.coefficients.diffusion_coefficients` and the exporters). Modules:

``_main``
    The parser, ``main`` and the one message policy: usage errors exit 2, failures 1, no
    traceback (``-vv`` logs it).
``_options``
    The option groups the commands share (simulation settings, ``-o/--output``, ``--seed``,
    ``--no-progress``, ``--json``) and the deprecated spellings of renamed flags.
``_units``
    The physical inputs of ``simulate`` and ``predict`` (``--energy 1GeV``, ``--B0 5nT``).
``_simulate``, ``_dataset``, ``_surrogate``, ``_coefficients``
    One module per layer's commands.

The vocabulary is documented on the docs' "Command line" page.
"""

from __future__ import annotations

from crtransport.cli._main import USAGE_ERRORS, build_parser, main

__all__ = ["USAGE_ERRORS", "build_parser", "main"]
