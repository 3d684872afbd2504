"""Small jitted helpers shared by the kernels (code units, no validation).

The only one that matters for speed is :func:`cos2_kernel`, the cosine used by every field
evaluation. Numba from PyPI has no SVML, so ``math.cos`` is a scalar libm call that blocks
vectorisation of the wave sum. ``cos2_kernel`` is branch-free arithmetic that LLVM vectorises
(512-bit on AVX-512 machines):

* the caller passes the *half* phase ``h = x / 2`` (the wave tables store ``k/2`` and
  ``alpha/2``, so this costs nothing);
* Cody-Waite reduction ``h <- h - n pi`` with ``n = rint(h / pi)`` (two-part pi), giving
  ``h`` in ``[-pi/2, pi/2]``;
* ``sin h = h + h^3 P(h^2)``, ``P`` a degree-5 near-minimax polynomial (Lawson-weighted least
  squares against mpmath), absolute error 5.1e-14 on ``[-pi/2, pi/2]``;
* ``cos x = 1 - 2 sin^2 h``.

The absolute error against ``numpy.cos`` is below 2.5e-13 for ``|x| <= 1e4`` (tested), far below
anything that reaches a diffusion coefficient. The two-part reduction stays that accurate up to
``|x| ~ 1e14`` (3.8e-13 measured against ``numpy.cos`` of the same float64 phase) and fails
beyond (1e-11 at 1e15, 5e-8 at 1e16, garbage of any size above 1e17). So the public boundaries
(``field``, ``propagate``, ``simulate``) refuse points and runs whose phases
``|k| |r| + |alpha|`` can exceed :data:`MAX_PHASE` = 1e14 rad; the kernel itself stays
branch-free and as fast as before.
"""

from __future__ import annotations

import numba
import numpy as np

__all__: list[str] = []

# fastmath flags used by every kernel: allow FMA contraction and reassociation of the wave sums
# (needed to vectorise the reductions); no nnan/ninf/afn approximations.
FASTMATH = {"contract", "reassoc"}
# the cosine itself must not be reassociated: LLVM would fold the two-part Cody-Waite reduction
# (h - n*pi_hi) - n*pi_lo into h - n*(pi_hi + pi_lo) and lose 1e-12 at |x| ~ 1e4. It is compiled
# as its own function with contraction only; LLVM inlines it and keeps each instruction's flags.
CONTRACT_ONLY = {"contract"}

#: Largest wave phase |k . r + alpha| (rad) the field kernels are trusted with: ``cos2_kernel`` is
#: accurate to 4e-13 up to there (see the module docstring).
MAX_PHASE = 1.0e14

_INV_PI = 0.3183098861837907
_PI_HI = 3.141592653589793
_PI_LO = 1.2246467991473532e-16

# sin(h) = h + h^3 * P(h^2) on [-pi/2, pi/2]
_S0 = -0.16666666666402224
_S1 = 0.008333333316515678
_S2 = -0.0001984126601068893
_S3 = 2.755690145291945e-06
_S4 = -2.5028462802712675e-08
_S5 = 1.5387443663000822e-10


@numba.njit(fastmath=CONTRACT_ONLY, cache=True)
def cos2_kernel(h):  # pragma: no cover - compiled
    """cos(2 h) by polynomial; code units, no validation, see the module docstring."""
    n = np.rint(h * _INV_PI)
    h = h - n * _PI_HI
    h = h - n * _PI_LO
    u = h * h
    p = _S0 + u * (_S1 + u * (_S2 + u * (_S3 + u * (_S4 + u * _S5))))
    s = h + (h * u) * p
    return 1.0 - 2.0 * (s * s)
