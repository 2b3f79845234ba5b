"""Known values of the media transforms, worked out by hand or with plain-Python formulas.

Nothing here imports a reference from mixscope: the expected numbers are
fractions worked out on paper, or the textbook formula in a few lines of
``math`` below, so a bug in the transforms cannot also be in what they are
checked against. Parameters are chosen where common slips show: ``K != 1`` and
``s != 1`` (``K`` and ``K**s`` differ), a delayed peak off lag 0, impulses in
the middle of the series (a lag shifted by one moves every value).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from mixscope.transforms import (
    apply_adstock,
    delayed_adstock,
    delayed_weights,
    geometric_adstock,
    geometric_weights,
    hill,
    logistic,
)

# ---------------------------------------------------------------- plain-Python references


def hill_formula(x: float, half_saturation: float, slope: float) -> float:
    """``x**s / (x**s + K**s)``, as written in every MMM paper."""
    return x**slope / (x**slope + half_saturation**slope)


def logistic_formula(x: float, rate: float) -> float:
    """``(1 - exp(-r x)) / (1 + exp(-r x))``."""
    return (1 - math.exp(-rate * x)) / (1 + math.exp(-rate * x))


def carryover_formula(media: list[float], weights: list[float]) -> list[float]:
    """``out[t] = sum_l weights[l] * media[t - l]``; nothing before the first period."""
    return [
        sum(w * media[t - lag] for lag, w in enumerate(weights) if t - lag >= 0) for t in range(len(media))
    ]


def _channel(values) -> np.ndarray:
    """A ``(time,)`` series as a one-geo, one-channel ``(1, time, 1)`` array."""
    return jnp.asarray(np.asarray(values, dtype=np.float32)[None, :, None])


# ---------------------------------------------------------------- saturation


def test_hill_by_hand_at_k_2_slope_3():
    # K**s = 8, so x**3 / (x**3 + 8): 0, 1/9, 1/2, 8/9. With K in place of K**s it would
    # be 0, 1/3, 4/5, 32/33; with the slope left off x, 0, 1/9, 1/5, 1/3.
    out = np.asarray(hill(_channel([0.0, 1.0, 2.0, 4.0]), jnp.array([2.0]), jnp.array([3.0])))[0, :, 0]
    np.testing.assert_allclose(out, [0.0, 1 / 9, 1 / 2, 8 / 9], rtol=1e-6, atol=1e-7)


def test_hill_matches_the_formula_per_channel_with_fractional_slopes():
    x = [0.05, 0.3, 0.8, 1.7, 3.5, 9.0]
    half_saturation, slope = [0.4, 1.6, 2.5], [0.6, 1.3, 2.7]
    media = np.array([[x] * 3], dtype=np.float32).transpose(0, 2, 1)  # (1, time, channel)
    out = np.asarray(hill(media, jnp.array(half_saturation), jnp.array(slope)))[0]
    expected = [[hill_formula(v, k, s) for k, s in zip(half_saturation, slope, strict=True)] for v in x]
    np.testing.assert_allclose(out, expected, rtol=2e-6)


def test_logistic_by_hand():
    # rate ln 3 at x = 2: exp(-2 ln 3) = 1/9, (8/9) / (10/9) = 0.8; at x = 4: 80/82.
    # rate 2 ln 2 at x = 1: exp(-2 ln 2) = 1/4, (3/4) / (5/4) = 0.6.
    media = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [4.0, 4.0]]], dtype=np.float32)
    out = np.asarray(logistic(media, jnp.array([math.log(3.0), 2 * math.log(2.0)])))[0]
    by_formula = logistic_formula(1.0, math.log(3.0))
    np.testing.assert_allclose(out[:, 0], [0.0, by_formula, 0.8, 80 / 82], rtol=1e-6)
    np.testing.assert_allclose(out[1, 1], 0.6, rtol=1e-6)
    np.testing.assert_allclose(out[3, 1], logistic_formula(4.0, 2 * math.log(2.0)), rtol=1e-6)


# ---------------------------------------------------------------- adstock


def test_geometric_weights_by_hand():
    # decay 0.6, 4 lags: 1, 0.6, 0.36, 0.216 over their sum 2.176.
    weights = np.asarray(geometric_weights(jnp.array([0.6, 0.0]), 4))
    np.testing.assert_allclose(weights[0], np.array([1000, 600, 360, 216]) / 2176, rtol=1e-6)
    np.testing.assert_allclose(weights[1], [1.0, 0.0, 0.0, 0.0], atol=1e-7)  # no carryover at decay 0


def test_geometric_adstock_puts_each_lag_where_it_belongs():
    # Impulses of 3 at t = 1 and 1 at t = 4, decay 0.6 over 4 lags (w = [1000, 600, 360, 216] / 2176):
    # out[1..4] = 3 w0, 3 w1, 3 w2, 3 w3 + w0; out[5..7] = w1, w2, w3; nothing at t = 0.
    w = np.array([1000, 600, 360, 216]) / 2176
    media = [0.0, 3.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    expected = [0.0, 3 * w[0], 3 * w[1], 3 * w[2], 3 * w[3] + w[0], w[1], w[2], w[3]]
    out = np.asarray(geometric_adstock(_channel(media), jnp.array([0.6]), 4))[0, :, 0]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_geometric_adstock_matches_the_convolution_formula_per_channel():
    rng = np.random.default_rng(11)
    media = rng.gamma(2.0, 1.0, (2, 15, 3)).astype(np.float32)
    media[:, 4, :] = 0.0
    decays, max_lag = [0.15, 0.5, 0.85], 6
    out = np.asarray(geometric_adstock(media, jnp.array(decays), max_lag))
    for c, decay in enumerate(decays):
        raw = [decay**lag for lag in range(max_lag)]
        weights = [value / sum(raw) for value in raw]
        for g in range(2):
            expected = carryover_formula(media[g, :, c].tolist(), weights)
            np.testing.assert_allclose(out[g, :, c], expected, rtol=2e-6, atol=1e-6)


def test_delayed_weights_by_hand():
    # decay 0.5, peak at lag 1, 4 lags: 0.5 ** [1, 0, 1, 4] = [1/2, 1, 1/2, 1/16] → [8, 16, 8, 1] / 33.
    weights = np.asarray(delayed_weights(jnp.array([0.5]), jnp.array([1.0]), 4))[0]
    np.testing.assert_allclose(weights, np.array([8, 16, 8, 1]) / 33, rtol=1e-6)


def test_delayed_weights_with_a_fractional_peak_match_the_formula():
    decay, peak, max_lag = 0.3, 2.5, 6
    raw = [decay ** ((lag - peak) ** 2) for lag in range(max_lag)]
    weights = np.asarray(delayed_weights(jnp.array([decay]), jnp.array([peak]), max_lag))[0]
    np.testing.assert_allclose(weights, [value / sum(raw) for value in raw], rtol=1e-5)
    assert weights[2] == pytest.approx(weights[3], rel=1e-5)  # symmetric about the peak at 2.5


def test_delayed_adstock_shifts_an_impulse_into_its_lag_profile():
    # An impulse of 2 at t = 2, decay 0.5, peak 1, 4 lags: out[2 + l] = 2 * [8, 16, 8, 1][l] / 33.
    media = [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    out = np.asarray(delayed_adstock(_channel(media), jnp.array([0.5]), jnp.array([1.0]), 4))[0, :, 0]
    expected = [0.0, 0.0, 16 / 33, 32 / 33, 16 / 33, 2 / 33, 0.0, 0.0]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_apply_adstock_with_arbitrary_weights_in_both_layouts():
    # Weights that are not a decay profile: each lag's coefficient lands on its own period.
    weights = [0.1, 0.2, 0.3, 0.4]
    media = [5.0, 0.0, 0.0, 0.0, 0.0, 7.0, 0.0]
    expected = carryover_formula(media, weights)
    assert expected == pytest.approx([0.5, 1.0, 1.5, 2.0, 0.0, 0.7, 1.4])
    time_major = np.asarray(apply_adstock(_channel(media), jnp.array([weights])))[0, :, 0]
    by_channel = _channel(media)[..., 0][None]  # (channel, geo, time)
    channel_major = np.asarray(apply_adstock(by_channel, jnp.array([weights]), channel_axis=0))
    np.testing.assert_allclose(time_major, expected, rtol=1e-6)
    np.testing.assert_allclose(channel_major[0, 0], expected, rtol=1e-6)
