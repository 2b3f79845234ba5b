"""Statistics about data, shared by data validation and the ridge engine (NumPy only).

- Variance inflation factor: ``VIF_j = 1 / (1 - R²_j)`` from regressing column
  ``j`` on the other columns; 1 for a column the others do not explain at all,
  ``inf`` for one they reproduce exactly.
"""

from __future__ import annotations

import numpy as np

_NO_VARIANCE = 1e-12  # a column whose (weighted) standard deviation is below this does not vary
_EXACT = 1e-10  # share of a column's variance left unexplained below which the others reproduce it


def variance_inflation(columns: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``(column,)`` VIF of each column of ``columns`` (rows are observations).

    Rows count by ``weights`` (all equally when None; a zero leaves a row out).
    Each varying column is regressed on the other varying ones by weighted least
    squares, which stays well-defined when those are themselves collinear; a
    column the others reproduce exactly gets ``inf``, one without variance NaN.
    """
    x = np.asarray(columns, dtype=np.float64)
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    centred = (x - w @ x) * np.sqrt(w)[:, None]
    sd = np.sqrt((centred**2).sum(axis=0))
    varies = np.flatnonzero(sd > _NO_VARIANCE)
    z = centred[:, varies] / sd[varies]
    out = np.full(x.shape[1], np.nan)
    for k, j in enumerate(varies):
        others = np.delete(z, k, axis=1)
        coef, *_ = np.linalg.lstsq(others, z[:, k], rcond=None)
        residual = z[:, k] - others @ coef
        unexplained = float(residual @ residual)  # z[:, k] has unit weighted variance
        out[j] = np.inf if unexplained < _EXACT else 1.0 / unexplained
    return out
