"""Write the theory-versus-simulation tables from ``_static/theory_validation.json``.

``scripts/theory_validation.py`` records what it measured in that file; ``conf.py`` calls
:func:`write` so that ``theory_validation.rst`` always shows the numbers of the committed run,
never numbers copied by hand.
"""

from __future__ import annotations

import json
from pathlib import Path


def _rows(header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        out.append(f"   * - {row[0]}")
        out.extend(f"     - {cell}" for cell in row[1:])
    return [*out, ""]


def _pm(value: float, error: float, digits: int = 3) -> str:
    return f"{value:.{digits}g} ± {error:.2g}"


def _ratio(r: dict) -> str:
    return f"{r['ratio']:.2f} ± {r['ratio_err']:.2f}"


def _flag(converged: bool) -> str:
    return "" if converged else " (not converged)"


def tables(record: dict) -> str:
    s = record["settings"]
    core_minutes = record["cpu_seconds"] / 60
    lines = [
        f"Measured by ``{record['command']}`` (crtransport {record['crtransport_version']}, "
        f"commit ``{(record.get('git_commit') or 'unknown')[:10]}``): "
        f"{s['n_particles']} particles with {s['n_waves']} waves each per point (D_mumu: "
        f"{record['dmumu'][0]['n_particles']}), {s['steps_per_gyration']} steps per gyration, "
        f"runs of {s['scattering_times']:g} QLT scattering times; {core_minutes:.1f} core-minutes "
        f"in all. Ratios are theory / simulation; the error is the simulation's statistical "
        f"error (one standard deviation). NLGC and UNLT use :math:`a^2 = {s['a2']:.3g}`.",
        "",
        "**Slab turbulence, isotropic pitch angles: QLT for** :math:`D_\\parallel` (T = 1, "
        ":math:`r_L = \\sqrt 3`, :math:`R = r_L/\\lambda_\\parallel`; 'gap' is the share of "
        "QLT's :math:`\\kappa_\\parallel` from the resonance gap near 90 degrees; the last "
        "column is the classical scattering relation with the simulated "
        ":math:`D_\\parallel` over the simulated :math:`D_\\perp`):",
        "",
    ]
    header = ["b", "R", "simulated D_par", "QLT D_par", "QLT / sim.", "gap",
              "simulated D_perp", "classical / sim."]  # fmt: skip
    rows = []
    for r in record["slab"]:
        rows.append(
            [
                f"{r['b']:g}",
                f"{r['R']:.3g}",
                _pm(r["D_par"], r["D_par_err"]) + _flag(r["converged_par"]),
                f"{r['qlt_D_par']:.3g}",
                _ratio(r["qlt_over_sim"]),
                f"{100 * r['qlt_gap_fraction']:.0f} %",
                _pm(r["D_perp"], r["D_perp_err"]) + _flag(r["converged_perp"]),
                _ratio(r["classical_over_sim"]),
            ]
        )
    lines += _rows(header, rows, "6 8 16 10 12 7 16 12")
    lines += [
        "**Composite turbulence (20 % slab), isotropic pitch angles: NLGC, UNLT and the "
        "classical relation for** :math:`D_\\perp` "
        ":math:`(\\lambda_\\perp = 5, \\lambda_\\parallel = 50)`, each evaluated with the "
        "simulated :math:`D_\\parallel`; the last two columns chain QLT's "
        ":math:`D_\\parallel` (slab component) instead, and the QLT column compares that "
        ":math:`D_\\parallel` with the simulated one:",
        "",
    ]
    header = ["b", "r_L / lambda_perp", "simulated D_perp", "simulated D_par", "NLGC / sim.",
              "UNLT / sim.", "classical / sim.", "QLT D_par / sim.",
              "NLGC (QLT D_par) / sim.", "UNLT (QLT D_par) / sim."]  # fmt: skip
    rows = []
    for r in record["composite"]:
        rel = r["D_perp_err"] / r["D_perp"]
        rows.append(
            [
                f"{r['b']:g}",
                f"{r['R_perp']:g}",
                _pm(r["D_perp"], r["D_perp_err"]) + _flag(r["converged_perp"]),
                _pm(r["D_par"], r["D_par_err"]) + _flag(r["converged_par"]),
                _ratio(r["nlgc_over_sim"]),
                _ratio(r["unlt_over_sim"]),
                _ratio(r["classical_over_sim"]),
                _ratio(r["qlt_over_sim"]),
                f"{r['nlgc_qlt_D_perp'] / r['D_perp']:.2f} ± "
                f"{rel * r['nlgc_qlt_D_perp'] / r['D_perp']:.2f}",
                f"{r['unlt_qlt_D_perp'] / r['D_perp']:.2f} ± "
                f"{rel * r['unlt_qlt_D_perp'] / r['D_perp']:.2f}",
            ]
        )
    lines += _rows(header, rows, "5 8 13 13 10 10 10 10 10 10")
    lines += [
        "**Pitch-angle diffusion** :math:`D_{\\mu\\mu}` **at fixed initial** :math:`\\mu` "
        "(slab, :math:`\\lambda_\\parallel = 2`, T = 1; simulated "
        ":math:`(\\langle\\Delta\\mu^2\\rangle(t_2) - \\langle\\Delta\\mu^2\\rangle(t_1))"
        "/(2(t_2 - t_1))`):",
        "",
    ]
    header = ["b", "mu", "[t1, t2]", "simulated D_mumu", "QLT D_mumu", "QLT / sim."]
    rows = []
    for r in record["dmumu"]:
        rows.append(
            [
                f"{r['b']:g}",
                f"{r['mu0']:g}",
                f"[{r['t1']:.0f}, {r['t2']:.0f}]",
                _pm(r["D_mumu"], r["D_mumu_err"]),
                f"{r['qlt_D_mumu']:.3g}",
                _ratio(r["qlt_over_sim"]),
            ]
        )
    lines += _rows(header, rows, "10 10 16 24 20 20")
    return "\n".join(lines)


def _write(out: Path, text: str) -> None:
    out.parent.mkdir(exist_ok=True)
    if not out.exists() or out.read_text() != text:  # leave it alone: no needless rebuilds
        out.write_text(text)


def write(docs: Path) -> None:
    """Write ``generated/theory_validation_tables.rst`` (a note when no JSON is recorded)."""
    path = docs / "_static" / "theory_validation.json"
    text = (
        tables(json.loads(path.read_text()))
        if path.exists()
        else "*No validation run recorded* (``python scripts/theory_validation.py`` writes one)."
    )
    _write(docs / "generated" / "theory_validation_tables.rst", text)
