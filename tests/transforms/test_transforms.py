"""Adstock and saturation: invariants and safe gradients at zero (known values: test_known_values.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mixscope.transforms import (
    apply_adstock,
    delayed_adstock,
    delayed_weights,
    geometric_adstock,
    geometric_weights,
    hill,
    logistic,
)


@settings(max_examples=30, deadline=None)
@given(
    decay=st.floats(0.0, 0.95),
    max_lag=st.integers(1, 12),
    seed=st.integers(0, 1000),
)
def test_adstock_preserves_total_when_tail_is_kept(decay, max_lag, seed):
    rng = np.random.default_rng(seed)
    media = np.concatenate([rng.gamma(2.0, 1.0, (2, 20, 3)), np.zeros((2, max_lag, 3))], axis=1)
    out = geometric_adstock(media, jnp.full(3, decay), max_lag)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), media.sum(axis=1), rtol=1e-4)


def test_delayed_peaks_at_its_peak_lag():
    weights = np.asarray(delayed_weights(jnp.array([0.3, 0.3]), jnp.array([0.0, 3.0]), 8))
    assert weights.argmax(axis=-1).tolist() == [0, 3]
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    media = jnp.zeros((1, 10, 1)).at[0, 0, 0].set(1.0)
    out = np.asarray(delayed_adstock(media, jnp.array([0.3]), jnp.array([2.0]), 6))
    assert out[0, :, 0].argmax() == 2


def test_hill_half_saturation_and_monotone():
    # K = 2 (not 1, where K and K**s coincide): half the maximum at x = K, 16 / (16 + 4) at x = 4.
    x = jnp.array([[[0.0], [1.0], [2.0], [4.0], [16.0]]])
    out = np.asarray(hill(x, jnp.array([2.0]), jnp.array([2.0])))[0, :, 0]
    assert out[0] == 0.0
    np.testing.assert_allclose(out[2], 0.5, rtol=1e-6)
    assert np.all(np.diff(out) > 0) and out[-1] < 1.0
    np.testing.assert_allclose(out[3], 4 / 5, rtol=1e-6)


def test_logistic_is_tanh_half():
    x = jnp.array([[[0.0], [1.0], [3.0]]])
    out = np.asarray(logistic(x, jnp.array([2.0])))[0, :, 0]
    np.testing.assert_allclose(out, np.tanh(np.array([0.0, 1.0, 3.0])), rtol=1e-6)


def test_gradients_are_finite_at_zero_spend_and_zero_decay():
    media = jnp.array([[[0.0, 1.0], [0.0, 0.0], [2.0, 0.0]]])

    def loss(decay, half, slope, rate):
        stocked = geometric_adstock(media, decay, 4)
        return hill(stocked, half, slope).sum() + logistic(stocked, rate).sum()

    grads = jax.grad(loss, argnums=(0, 1, 2, 3))(
        jnp.array([0.0, 0.5]), jnp.array([1.0, 1.0]), jnp.array([1.5, 0.7]), jnp.array([1.0, 1.0])
    )
    for grad in grads:
        assert np.all(np.isfinite(np.asarray(grad)))
    weights_grad = jax.grad(lambda d: geometric_weights(d, 5).sum())(jnp.array([0.0]))
    assert np.isfinite(np.asarray(weights_grad)).all()


def test_channel_major_layout_gives_the_same_values():
    """``channel_axis=0`` on ``(channel, geo, time)`` equals the default on ``(geo, time, channel)``."""
    rng = np.random.default_rng(4)
    media = rng.lognormal(0.0, 1.0, (3, 20, 4)).astype(np.float32)
    media[:, :3] = 0.0
    decay, peak = jnp.array([0.1, 0.4, 0.7, 0.9]), jnp.array([0.0, 1.0, 2.5, 4.0])
    by_channel = np.moveaxis(media, -1, 0)
    for weights in (geometric_weights(decay, 6), delayed_weights(decay, peak, 6)):
        expected = apply_adstock(media, weights)
        got = apply_adstock(by_channel, weights, channel_axis=0)
        np.testing.assert_allclose(np.moveaxis(np.asarray(got), 0, -1), expected, rtol=1e-6)
    half_saturation, slope = jnp.array([0.5, 1.0, 2.0, 4.0]), jnp.array([0.7, 1.0, 2.0, 3.0])
    pairs = [
        (hill(media, half_saturation, slope), hill(by_channel, half_saturation, slope, channel_axis=0)),
        (logistic(media, slope), logistic(by_channel, slope, channel_axis=0)),
    ]
    for expected, got in pairs:
        np.testing.assert_allclose(np.moveaxis(np.asarray(got), 0, -1), expected, rtol=1e-6)
