"""Every registered transform kind through the same checks (mixscope.transforms.registry).

A new kind registered in the registry is picked up here without a new test:
0 → 0, monotone in media, bounded where it should be, finite gradients at zero
media, and the JAX function and its NumPy twin giving the same values, with
parameters drawn from the kind's own default priors.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mixscope.errors import SpecError
from mixscope.spec import parse_spec
from mixscope.transforms.registry import (
    ADSTOCK,
    ADSTOCK_DECAY,
    SATURATION,
    AdstockKind,
    kinds,
    site_dims,
    transform_sites,
)

KINDS = kinds()
MAX_LAG = 6
SHAPE = (2, 24, 4)  # (geo, time, channel)


def _is_adstock(kind) -> bool:
    return isinstance(kind, AdstockKind)


def _draw(kind, rng: np.random.Generator) -> list[np.ndarray]:
    """``(channel,)`` parameter values from the default priors, in the kind's argument order."""
    n_channels = SHAPE[-1]
    values = [ADSTOCK_DECAY.prior.sample(rng, n_channels)] if _is_adstock(kind) else []
    for parameter in kind.parameters:
        value = parameter.prior.sample(rng, n_channels)
        values.append(value * (MAX_LAG - 1) if parameter.lag_fraction else value)
    return values


def _at_quantile(kind, quantile: float) -> list[np.ndarray]:
    """Every parameter at the same quantile of its default prior (the tails included)."""
    n_channels = SHAPE[-1]
    parameters = ((ADSTOCK_DECAY,) if _is_adstock(kind) else ()) + kind.parameters
    values = []
    for parameter in parameters:
        value = np.full(n_channels, parameter.prior.quantile(quantile))
        values.append(value * (MAX_LAG - 1) if parameter.lag_fraction else value)
    return values


def _media(rng: np.random.Generator, zeros: float = 0.3) -> np.ndarray:
    """Non-negative scaled media (1 = a typical week) with some zero weeks."""
    media = rng.gamma(2.0, 0.6, SHAPE)
    return np.where(rng.uniform(size=SHAPE) < zeros, 0.0, media)


def _jax(kind, media, values):
    if _is_adstock(kind):
        return kind.apply_jax(media, values, MAX_LAG)
    return kind.apply_jax(media, values)


def _numpy(kind, media, values) -> np.ndarray:
    if _is_adstock(kind):
        return kind.apply_numpy(media, values, MAX_LAG)
    return kind.apply_numpy(media, values)


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request):
    return request.param


@pytest.mark.parametrize("seed", range(3))
def test_zero_media_gives_zero(kind, seed):
    values = _draw(kind, np.random.default_rng(seed))
    zeros = np.zeros(SHAPE)
    assert np.all(np.asarray(_jax(kind, jnp.asarray(zeros, jnp.float32), values)) == 0.0)
    assert np.all(_numpy(kind, zeros, values) == 0.0)


@pytest.mark.parametrize("seed", range(3))
def test_more_media_never_gives_less(kind, seed):
    rng = np.random.default_rng(seed)
    values = _draw(kind, rng)
    low = _media(rng)
    high = low + rng.exponential(0.5, SHAPE) * (rng.uniform(size=SHAPE) < 0.5)
    for transform in (_numpy, lambda k, m, v: np.asarray(_jax(k, jnp.asarray(m, jnp.float32), v))):
        assert np.all(transform(kind, high, values) >= transform(kind, low, values) - 1e-6)
    # Along a grid of levels, per channel: non-decreasing.
    levels = np.broadcast_to(np.linspace(0.0, 8.0, SHAPE[1])[None, :, None], SHAPE)
    curve = _numpy(kind, levels, values)
    assert np.all(np.diff(curve, axis=1) >= -1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_bounded(kind, seed):
    """Saturation stays in ``[0, ceiling]`` at any spend; adstock never exceeds the largest week it spreads
    and keeps the total when the tail is kept."""
    rng = np.random.default_rng(seed)
    values = _draw(kind, rng)
    media = _media(rng) * rng.choice([1.0, 1e3, 1e6], SHAPE)
    out = _numpy(kind, media, values)
    assert np.all(np.isfinite(out)) and np.all(out >= 0.0)
    if _is_adstock(kind):
        assert np.all(out <= media.max(axis=1, keepdims=True) * (1 + 1e-12))
        kept = np.concatenate([media, np.zeros((SHAPE[0], MAX_LAG, SHAPE[2]))], axis=1)
        np.testing.assert_allclose(_numpy(kind, kept, values).sum(axis=1), media.sum(axis=1), rtol=1e-10)
    else:
        assert np.all(out <= kind.ceiling)
        huge = _numpy(kind, np.full(SHAPE, 1e9), values)
        np.testing.assert_allclose(huge, kind.ceiling, rtol=1e-3)


@pytest.mark.parametrize("quantile", [0.01, 0.5, 0.99])
@pytest.mark.parametrize("all_zero", [True, False], ids=["zero-media", "some-zero-weeks"])
def test_gradients_are_finite_at_zero_media(kind, all_zero, quantile):
    """With respect to media and every parameter, across each prior's range (NUTS meets them all)."""
    rng = np.random.default_rng(0)
    values = [jnp.asarray(v, jnp.float32) for v in _at_quantile(kind, quantile)]
    media = jnp.asarray(np.zeros(SHAPE) if all_zero else _media(rng, zeros=0.5), jnp.float32)

    def total(media, values):
        return _jax(kind, media, values).sum()

    media_grad, value_grads = jax.grad(total, argnums=(0, 1))(media, values)
    assert np.all(np.isfinite(np.asarray(media_grad)))
    for grad in value_grads:
        assert np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.parametrize("seed", range(5))
def test_jax_and_numpy_agree(kind, seed):
    """In float64 the two implementations agree to 1e-6 relative on prior draws."""
    rng = np.random.default_rng(seed)
    values = _draw(kind, rng)
    media = _media(rng) * rng.choice([0.1, 1.0, 10.0], SHAPE)
    with jax.enable_x64(True):
        from_jax = np.asarray(_jax(kind, jnp.asarray(media), [jnp.asarray(v) for v in values]))
    assert from_jax.dtype == np.float64
    np.testing.assert_allclose(from_jax, _numpy(kind, media, values), rtol=1e-6, atol=1e-12)


def test_every_parameter_has_its_site_and_dims():
    sites = transform_sites()
    dims = site_dims()
    assert len(set(sites)) == len(sites)
    assert dims[ADSTOCK_DECAY.site] == ["channel"]
    for kind in KINDS:
        for parameter in kind.parameters:
            assert parameter.site in sites
            assert dims[parameter.site] == dims[parameter.sampled_site] == [f"{kind.name}_channel"]
            low, high = parameter.search_bounds(MAX_LAG)
            assert 0 <= low < high


@pytest.mark.parametrize(("key", "registered"), [("adstock", ADSTOCK), ("saturation", SATURATION)])
def test_an_unknown_kind_in_a_spec_lists_the_registered_ones(tmp_path, key, registered):
    raw = {"data": {"path": "data.csv"}, "channels": {"tv": {"spend": "tv_spend", key: "weibull"}}}
    with pytest.raises(SpecError) as caught:
        parse_spec(raw, base_dir=tmp_path)
    message = str(caught.value)
    assert f"{key} = 'weibull'" in message and "[channels.tv]" in message
    assert f"choose one of {', '.join(registered)}" in message


def test_the_model_samples_every_registered_parameter(tmp_path):
    """One spec using every kind: the NumPyro model has each kind's sites, over that kind's channels."""
    import tomli_w
    from numpyro import handlers

    from mixscope.data import load_dataset
    from mixscope.model.fit import prepare
    from mixscope.model.mmm import mmm_model
    from mixscope.simulate import CHANNELS, write_simulated_project
    from mixscope.spec import load_spec

    write_simulated_project(tmp_path, 1, 60, 2)
    adstock, saturation = list(ADSTOCK), list(SATURATION)
    channels = {
        name: {"spend": f"{name}_spend", "max_lag": 4,
               "adstock": adstock[i % len(adstock)], "saturation": saturation[i % len(saturation)]}
        for i, name in enumerate(CHANNELS)
    }
    raw = {"data": {"path": "data.csv", "controls": ["price"]}, "channels": channels}
    (tmp_path / "all.toml").write_text(tomli_w.dumps(raw))
    spec = load_spec(tmp_path / "all.toml")
    dataset, _ = load_dataset(spec)
    _, inputs, config = prepare(spec, dataset)
    trace = handlers.trace(handlers.seed(mmm_model, 0)).get_trace(inputs, config)
    assert trace[ADSTOCK_DECAY.site]["value"].shape == (len(CHANNELS),)
    for kind in KINDS:
        n_channels = len(config.channels_of(kind.name))
        assert n_channels, kind.name  # the spec uses every kind
        for parameter in kind.parameters:
            for site in {parameter.site, parameter.sampled_site}:
                assert trace[site]["value"].shape == (n_channels,), site
