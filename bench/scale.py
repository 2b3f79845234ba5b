"""Benchmark: how a fit's time and peak memory grow with geos, channels and draws; what Dask costs.

Usage: ``.venv/bin/python bench/scale.py [--geos 40,80,160] [--channels 5,10,20]
[--draws 500,1000] [--skip-batch] [--batch-draws N] [--warmup N] [--draw-count N]
[--chain-method sequential]``.

Each wide case is a simulated 156-week history fitted in its own process at the
geo starter sampler (``GEO_STARTER_SAMPLER``, what ``mixscope init`` writes for
geo data), so its peak memory (``ru_maxrss``) is its own. Figures per case: wall
and CPU seconds (CPU seconds are the fairer growth measure on a shared machine),
peak memory, and the fit's diagnostics. From the geo and channel series the bench
fits power laws (time ∝ geos^a × channels^b, the same for memory) and projects
210 geos × 20 channels. The batch case fits the same national specs (default sampler) one by
one in one process and through ``mixscope batch`` on a one-worker ``LocalCluster``
and prints the difference per fit. The device JAX used is printed with the figures.

Prints each figure beside the previous run's, appends the run to
``bench/results/scale.jsonl`` and exits 1 when a target in ``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report, run_in_child  # noqa: E402
from fit import TARGETS as FIT_TARGETS  # noqa: E402
from fit import run_case  # noqa: E402

from mixscope.xla import configure_xla  # noqa: E402

configure_xla()

from mixscope.starter import GEO_STARTER_SAMPLER  # noqa: E402

N_WEEKS = 156
GB = 1024.0
TARGETS = (
    # Issue 20: 160 geos x 156 weeks x 5 channels within 12 GB on the 2-core, 24 GB machine,
    # with the fit's own diagnostic alarms passing.
    Target("peak_rss_mb", at_most=12 * GB, cases="160 geo x 156 wk x 5 ch", source="issue 20"),
    *(replace(target, cases="160 geo x 156 wk x 5 ch") for target in FIT_TARGETS
      if target.figure in ("max_rhat", "min_ess_bulk", "divergence_rate")),
    # Time grows no faster than linearly in geos: 40 -> 160 geos within 4.5x the time.
    Target("cpu_ratio_160_over_40", at_most=4.5, cases="growth", source="issue 20"),
    # Distribution costs at most 10% per fit against a plain sequential fit.
    Target("overhead_per_fit", at_most=0.10, cases="batch", source="issue 20"),
)


def _wide_case(n_geos: int, n_channels: int, draws: int, warmup: int, chain_method: str) -> dict:
    sampler = GEO_STARTER_SAMPLER
    return run_in_child(__file__, "--case", json.dumps(
        [n_geos, N_WEEKS, sampler.chains, warmup, draws, sampler.target_accept, n_channels, chain_method]
    ))


def _exponent(sizes: list[int], values: list[float]) -> float:
    """``b`` of ``value = a * size**b``, least squares in logs (two sizes or more)."""
    xs = [math.log(size) for size in sizes]
    ys = [math.log(value) for value in values]
    x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - x_mean) ** 2 for x in xs)


def growth(by_geos: dict[int, dict], by_channels: dict[int, dict], base_geos: int) -> dict:
    """Exponents of CPU time and peak memory in geos and channels, and the 210 x 20 projection
    from the 5-channel case at ``base_geos`` (the smallest geo count when that was not run)."""
    geos = sorted(by_geos)
    channels = sorted(by_channels)
    anchor_geos = base_geos if base_geos in by_geos else geos[0]
    out: dict = {}
    for figure in ("cpu_s", "peak_rss_mb"):
        geo_exponent = _exponent(geos, [by_geos[g][figure] for g in geos])
        channel_exponent = _exponent(channels, [by_channels[c][figure] for c in channels])
        out[f"{figure}_geo_exponent"] = round(geo_exponent, 3)
        out[f"{figure}_channel_exponent"] = round(channel_exponent, 3)
        out[f"projected_{figure}_210_geo_20_ch"] = round(
            by_geos[anchor_geos][figure] * (210 / anchor_geos) ** geo_exponent * (20 / 5) ** channel_exponent)
    if 40 in by_geos and 160 in by_geos:
        out["cpu_ratio_160_over_40"] = round(by_geos[160]["cpu_s"] / by_geos[40]["cpu_s"], 2)
        out["wall_ratio_160_over_40"] = round(by_geos[160]["wall_s"] / by_geos[40]["wall_s"], 2)
    # On 2 cores the sampler keeps both busy, so wall time is about CPU time / 2 on a quiet machine.
    out["projected_wall_h_210_geo_20_ch_2_cores"] = round(out["projected_cpu_s_210_geo_20_ch"] / 2 / 3600, 1)
    return out


def batch_overhead(n_specs: int = 4, draws: int | None = None) -> dict:
    """The same national specs fitted one by one in one process and through ``mixscope batch``.

    At the default national sampler unless ``draws`` (warm-up and kept draws a chain) is given:
    the overhead is a fixed start-up cost (the cluster, the worker's imports), so its share
    depends on the length of the fits it is measured against, and the default is what users run.
    """
    from mixscope.simulate import write_simulated_project
    from mixscope.spec import SamplerSpec

    folder = Path(tempfile.mkdtemp())
    default = SamplerSpec()
    sampler = {"chains": default.chains, "warmup": draws or default.warmup, "draws": draws or default.draws}
    for seed in range(n_specs):
        write_simulated_project(folder / f"spec{seed}", 1, N_WEEKS, seed, {**sampler, "seed": seed})
    specs = json.dumps([str(folder / f"spec{seed}" / "mixscope.toml") for seed in range(n_specs)])

    def cold(mode: str) -> dict:  # a fresh process with an empty compile cache, as each side starts
        with tempfile.TemporaryDirectory() as cache:
            return run_in_child(__file__, mode, specs, env={"MIXSCOPE_COMPILE_CACHE": cache})

    sequential, batched = cold("--sequential"), cold("--batch")
    return {
        "specs": n_specs,
        "sampler": f"{sampler['chains']} x ({sampler['warmup']} + {sampler['draws']})",
        "sequential_s": sequential["wall_s"],
        "batch_s": batched["wall_s"],
        "per_fit_sequential_s": round(sequential["wall_s"] / n_specs, 1),
        "overhead_per_fit": round(batched["wall_s"] / sequential["wall_s"] - 1, 3),
    }


def _sequential(specs: list[str]) -> dict:
    # Each side is timed from before it imports the fitting code: the batch's worker imports it too.
    started = time.perf_counter()
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.run import save_run
    from mixscope.spec import load_spec

    out = Path(tempfile.mkdtemp())
    for index, path in enumerate(specs):
        spec = load_spec(path)
        dataset, _ = load_dataset(spec)
        save_run(fit(spec, dataset, progress=False), out / f"run{index}")
    return {"wall_s": round(time.perf_counter() - started, 1)}


def _batch(specs: list[str]) -> dict:
    started = time.perf_counter()
    from mixscope.batch import run_batch

    outcome = run_batch([Path(path) for path in specs], Path(tempfile.mkdtemp()) / "batch", workers=1)
    if outcome.failed:
        raise SystemExit(f"batch failed: {outcome.failed}")
    return {"wall_s": round(time.perf_counter() - started, 1)}


def _device() -> str:
    import jax

    device = jax.devices()[0]
    return f"{device.platform}: {getattr(device, 'device_kind', '')} x {jax.device_count()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--geos", default="40,80,160", help="geo counts at 5 channels")
    parser.add_argument("--channels", default="5,10,20", help="channel counts at 40 geos")
    parser.add_argument("--draws", default="", help="other draws per chain to try at 40 geos x 5 channels")
    parser.add_argument("--warmup", type=int, default=GEO_STARTER_SAMPLER.warmup)
    parser.add_argument("--draw-count", type=int, default=GEO_STARTER_SAMPLER.draws,
                        help="kept draws per chain of the geo and channel series")
    parser.add_argument("--chain-method", default="auto", help="[sampler] chain_method of every wide case")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--batch-draws", type=int, default=None,
                        help="warm-up and kept draws a chain of the batch case (default sampler if unset)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--sequential", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # child process: one fit, so its peak memory is its own
        figures = run_case(*json.loads(args.case))
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        figures["device"] = _device()
        print(json.dumps(figures))
        return
    if args.sequential or args.batch:
        print(json.dumps(_sequential(json.loads(args.sequential)) if args.sequential
                         else _batch(json.loads(args.batch))))
        return

    geos = [int(value) for value in args.geos.split(",") if value]
    channels = [int(value) for value in args.channels.split(",") if value]
    draws = [int(value) for value in args.draws.split(",") if value]
    default_draws = args.draw_count
    results: dict[str, dict] = {}
    cache: dict[tuple[int, int, int], dict] = {}

    def case(n_geos: int, n_channels: int, n_draws: int) -> dict:
        key = (n_geos, n_channels, n_draws)
        if key not in cache:
            figures = _wide_case(n_geos, n_channels, n_draws, args.warmup, args.chain_method)
            figures.pop("roi_rel_error", None)
            cache[key] = figures
            results[figures["case"]] = figures
            print(f"{figures['case']}: {figures['wall_s']} s wall, {figures['cpu_s']} CPU s, "
                  f"{figures['peak_rss_mb']} MB", flush=True)
        return cache[key]

    by_geos = {n: case(n, 5, default_draws) for n in geos}
    by_channels = {n: case(40, n, default_draws) for n in channels}
    for n in draws:
        case(40, 5, n)
    if len(by_geos) > 1 and len(by_channels) > 1:  # a power law needs two sizes of each
        results["growth (power laws in geos and channels, projection)"] = {
            "device": _device(), **growth(by_geos, by_channels, 40),
        }
    if not args.skip_batch:
        draws = args.batch_draws
        name = "default sampler" if draws is None else f"{draws} + {draws} draws"
        results[f"batch: 4 national specs at the {name}, one LocalCluster worker vs one by one"] = \
            batch_overhead(draws=draws)
    report("scale", results, TARGETS)


if __name__ == "__main__":
    main()
