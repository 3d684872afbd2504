"""Development sessions: ``nox`` (tests + lint), ``nox -s docs``, ``nox -s bench``, ...

Every session installs the project from its own files into a fresh virtual environment.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The default test run: everything but the slow tests (under a minute on two quiet cores;
    tests/conftest.py fails an unmarked test whose call takes over 5 s x the machine's load)."""
    session.install("-e", ".[test,dist]")
    session.run("pytest", "-m", "not slow", *session.posargs)


@nox.session
def tests_all(session: nox.Session) -> None:
    """All tests, including the slow ones (marker ``slow``: physics checks, process pools, JAX
    training)."""
    session.install("-e", ".[test,dist]")
    session.run("pytest", *session.posargs)


@nox.session
def tests_slow(session: nox.Session) -> None:
    """Only the slow tests (marker ``slow``), the complement of ``nox -s tests``."""
    session.install("-e", ".[test,dist]")
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session
def physics(session: nox.Session) -> None:
    """Only the physics checks against analytic and statistical results (marker ``physics``)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "physics", *session.posargs)


@nox.session
def tests_nojit(session: nox.Session) -> None:
    """Kernels as plain Python (NUMBA_DISABLE_JIT=1) under coverage, so kernel lines count."""
    session.install("-e", ".[test]", "coverage[toml]")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        "-m",
        "not slow",
        "tests/turbulence",
        "tests/pusher",
        "tests/transport",
        *session.posargs,
        env={"NUMBA_DISABLE_JIT": "1"},
    )
    session.run("coverage", "report", "--include=crtransport/*")


@nox.session
def doctests(session: nox.Session) -> None:
    """The docstring examples."""
    session.install("-e", ".[test]")
    session.run("pytest", "crtransport", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run(
        "ruff",
        "format",
        "--check",
        "crtransport/turbulence",
        "crtransport/pusher",
        "crtransport/transport",
        "crtransport/dataset",
        "crtransport/surrogate",
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over the package."""
    session.install("-e", ".", "mypy>=1.10")
    session.run("mypy", "crtransport")


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site, warnings as errors (executes the gallery's plot_*.py examples)."""
    session.install("-e", ".[docs,dist]")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-n",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
def cf(session: nox.Session) -> None:
    """CF compliance of the database files: cfchecks on a built database (needs the UDUNITS-2
    C library, ``apt-get install libudunits2-dev``; the test fails here instead of skipping)."""
    session.install("-e", ".[test,cf]")
    session.run(
        "pytest", "-p", "no:cacheprovider", "tests/dataset/test_cf_compliance.py", "-rs",
        env={"CRTRANSPORT_REQUIRE_CFCHECKS": "1"},
    )  # fmt: skip


@nox.session
def docs_offline(session: nox.Session) -> None:
    """The docs work offline: build them, fail if a page loads anything from the network, and
    check in headless chromium (``apt-get install chromium``) that the theory page's math is
    typeset by the bundled MathJax (tests/test_docs_offline.py, slow tests included)."""
    session.install("-e", ".[docs,test]")
    session.run("pytest", "-p", "no:cacheprovider", "tests/test_docs_offline.py", "-rs")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks in benchmarks/ (each prints a table and one JSON line)."""
    session.install("-e", ".")
    for script in ("pusher", "dataset", "surrogate", "transport_surrogate"):
        session.run("python", f"benchmarks/{script}.py", *session.posargs)


@nox.session
def figures(session: nox.Session) -> None:
    """The paper's figures: runs examples/paper/*.py, each saving its PNG in docs/_static/figures.

    ``nox -s figures -- --simulate`` first reruns the fig. 8 simulations
    (scripts/figure_data.py, about two minutes on two cores) instead of reading their cache.
    """
    session.install("-e", ".[plot]")
    root = Path(__file__).resolve().parent
    if "--simulate" in session.posargs:
        session.run("python", "scripts/figure_data.py")
    env = {
        "CRTRANSPORT_FIGURES_DIR": str(root / "docs" / "_static" / "figures"),
        "MPLBACKEND": "Agg",
    }
    for script in sorted((root / "examples" / "paper").glob("*.py")):
        session.run("python", str(script), env=env)


@nox.session
def convergence(session: nox.Session) -> None:
    """The numerical convergence study behind the default dt, band and run length (long)."""
    session.install("-e", ".")
    session.run("python", "scripts/convergence.py", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel and check their metadata."""
    session.install("build", "twine")
    session.run("python", "-m", "build")
    session.run("twine", "check", "dist/*")
