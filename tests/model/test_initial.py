"""Warm start: starting points near the least-squares baseline, a first mass matrix NumPyro accepts."""

from __future__ import annotations

import numpy as np

from mixscope.data import load_dataset
from mixscope.model.fit import prepare
from mixscope.model.initial import JITTER, warm_start


def test_warm_start_covers_every_site_once(national_case):
    _, spec, _ = national_case
    dataset, _ = load_dataset(spec)
    _, inputs, config = prepare(spec, dataset)
    start = warm_start(inputs, config, n_chains=4, seed=0, dense_mass=True)
    sites = set(start.positions)
    assert {"roi_shared", "roi_own", "hill_slope", "adstock_decay", "intercept", "noise_sd"} <= sites
    in_mass = [name for block in start.inverse_mass for name in block]
    assert sorted(in_mass) == sorted(sites)  # each site in exactly one block
    assert start.dense_blocks == [tuple(sorted(sites))]  # national: one dense block
    for block, diagonal in start.inverse_mass.items():
        assert diagonal.size == sum(start.positions[name][0].size for name in block)
        assert np.all(diagonal > 0)
    diagonal_only = warm_start(inputs, config, n_chains=4, seed=0, dense_mass=False)
    assert diagonal_only.dense_blocks == []
    assert all(len(block) == 1 for block in diagonal_only.inverse_mass)


def test_chains_start_apart_but_near_the_baseline(national_case):
    _, spec, _ = national_case
    dataset, _ = load_dataset(spec)
    _, inputs, config = prepare(spec, dataset)
    start = warm_start(inputs, config, n_chains=4, seed=0, dense_mass=True)
    for name, value in start.positions.items():
        assert value.shape[0] == 4 and value.dtype == np.float32
        assert np.all(np.ptp(value, axis=0) > 0), name  # distinct chains
        assert np.all(np.ptp(value, axis=0) <= 2 * JITTER + 1e-6), name
    # The intercept (KPI scaled to mean one) starts near the least-squares level,
    # with a jitter far narrower than the prior's ±0.5.
    intercept = start.positions["intercept"][:, 0]
    assert np.ptp(intercept) < 0.2
    assert np.all(np.abs(intercept - np.mean(intercept)) < 0.1)
    # Same seed, same starts; another seed, other starts.
    again = warm_start(inputs, config, n_chains=4, seed=0, dense_mass=True)
    other = warm_start(inputs, config, n_chains=4, seed=1, dense_mass=True)
    assert all(np.array_equal(again.positions[k], v) for k, v in start.positions.items())
    assert not np.array_equal(other.positions["roi_own"], start.positions["roi_own"])
