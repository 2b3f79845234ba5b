"""How sure a plan is to beat another: the posterior, optionally widened for model error.

The posterior's probability that plan A beats plan B counts only the uncertainty
the model knows about. When the model is wrong in a way its posterior cannot
see (spend that chases unobserved demand, a curve shape the data cannot place),
every draw can agree on a gain that is not there. ``model_error`` allows for
that: each draw's per-channel change of contribution is scaled by an
independent mean-one log-normal factor of that log-sd, so a gain that rests on
small differences between channels' returns stops looking certain, while a gain
that is large against every channel's own effect stays so. ``margin`` asks for a
gain worth moving money for, not merely a positive one.
"""

from __future__ import annotations

import numpy as np

from mixscope.surface.runtime import Surface

MODEL_ERROR_SEED = 20261202  # fixed: the same plan pair always gets the same probability


def prob_beats(
    surface: Surface, plan: np.ndarray, reference: np.ndarray, model_error: float = 0.0, margin: float = 0.0,
) -> float:
    """P(``plan``'s outcome > ``reference``'s + ``margin``), each ``(channel,)`` spend, over the draws.

    ``model_error``: log-sd of the per-draw, per-channel factor on the change of contribution
    (0: the posterior's own probability). ``margin``: in KPI units, the gain a plan must exceed
    to count (0: any gain).
    """
    if model_error < 0:
        raise ValueError(f"model_error must be 0 or more, got {model_error}.")
    contributions = surface.curves.incremental(np.stack([plan, reference]))  # (draw, 2, channel)
    change = contributions[:, 0, :] - contributions[:, 1, :]
    if model_error:
        normal = np.random.default_rng(MODEL_ERROR_SEED).standard_normal(change.shape)
        change = change * np.exp(model_error * normal - model_error**2 / 2)
    return float(np.mean(change.sum(axis=-1) > margin))
