"""``[sampler] chain_method``: how chains share the machine, never what they draw."""

from __future__ import annotations

import numpy as np
import pytest

from mixscope.data import load_dataset
from mixscope.errors import SpecError
from mixscope.model.fit import chain_method
from mixscope.pipeline import fit
from mixscope.simulate import write_simulated_project
from mixscope.spec import SamplerSpec, parse_spec

SAMPLER = {"chains": 2, "warmup": 60, "draws": 60, "seed": 5}


def test_auto_and_parallel_use_a_device_per_chain_and_the_others_are_kept():
    # tests/conftest.py gives the session 4 CPU devices, as the CLI does.
    assert chain_method(4) == chain_method(4, "parallel") == "parallel"
    assert chain_method(8, "parallel") == "vectorized"  # not enough devices: the same fallback as auto
    assert chain_method(4, "sequential") == "sequential"
    assert chain_method(4, "vectorized") == "vectorized"
    assert chain_method(1, "sequential") == "vectorized"  # one chain: nothing to share


def test_an_unknown_chain_method_is_refused_naming_the_choices(tmp_path):
    _, spec, _ = write_simulated_project(tmp_path, 1, 60, 0, SAMPLER)
    raw = spec.to_dict()
    raw["sampler"]["chain_method"] = "threads"
    with pytest.raises(SpecError, match=r"chain_method must be one of auto, parallel, vectorized, "
                                        r"sequential, got 'threads'"):
        parse_spec(raw, base_dir=tmp_path)


def test_the_default_is_not_written_so_stored_spec_hashes_are_unchanged(tmp_path):
    _, spec, _ = write_simulated_project(tmp_path, 1, 60, 0, SAMPLER)
    assert "chain_method" not in spec.to_dict()["sampler"]
    sequential = spec.with_sampler(chain_method="sequential")
    assert sequential.to_dict()["sampler"]["chain_method"] == "sequential"
    assert parse_spec(sequential.to_dict(), base_dir=tmp_path).sampler.chain_method == "sequential"
    assert SamplerSpec().chain_method == "auto"


def test_chains_in_sequence_sample_the_same_posterior_as_parallel_chains(tmp_path):
    # Not the same draws: the chains' floating point differs between one device per chain and
    # one device for all, and NUTS trajectories amplify it. The same posterior, to Monte Carlo error.
    _, spec, _ = write_simulated_project(tmp_path, 1, 80, 0, {**SAMPLER, "warmup": 150, "draws": 150})
    dataset, _ = load_dataset(spec)
    parallel = fit(spec, dataset, progress=False)
    sequential = fit(spec.with_sampler(chain_method="sequential"), dataset, progress=False)
    assert parallel.summary["sampler"]["chain_method"] == "parallel"
    assert sequential.summary["sampler"]["chain_method"] == "sequential"
    a = parallel.idata.posterior["roi"].values.reshape(-1, len(spec.channels))
    b = sequential.idata.posterior["roi"].values.reshape(-1, len(spec.channels))
    spread = np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 0.75 * spread), (a.mean(0), b.mean(0), spread)
