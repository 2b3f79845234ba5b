"""``mixscope batch`` on a real two-worker LocalCluster: same draws as one-by-one fits, failures
reported per spec, unchanged specs skipped, a killed worker's fit redone, the catalog queryable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.batch import CATALOG, batch_client, plan_jobs, run_batch
from mixscope.cli import app
from mixscope.errors import MixscopeError
from mixscope.run_files import verify_run
from mixscope.simulate.history import write_simulated_project

runner = CliRunner()
SAMPLER = {"chains": 2, "warmup": 150, "draws": 150}


def _specs(root: Path, seeds: tuple[int, ...], weeks: int = 78) -> list[Path]:
    return [write_simulated_project(root / f"brand{seed}", 1, weeks, seed, {**SAMPLER, "seed": seed})[0]
            for seed in seeds]


def _bad_spec(root: Path, good: Path) -> Path:
    folder = root / "broken"
    folder.mkdir()
    (folder / "data.csv").write_text((good.parent / "data.csv").read_text())
    text = good.read_text().replace('spend = "tv_spend"', 'spend = "tv_budget"', 1)
    assert text != good.read_text()
    (folder / "mixscope.toml").write_text(text)
    return folder / "mixscope.toml"


def _roi(run_dir: Path) -> dict[str, float]:
    summary = json.loads((run_dir / "summary.json").read_text())
    return {channel: summary["roi"][channel]["mean"] for channel in summary["channels"]}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    root = tmp_path_factory.mktemp("portfolio")
    specs = _specs(root, (1, 2, 3, 4))
    bad = _bad_spec(root, specs[0])
    out = root / "runs"
    with batch_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        outcome = run_batch([*specs, bad], out, client=client)
    return root, specs, bad, out, outcome


def test_batch_fits_every_good_spec_and_reports_the_bad_one(portfolio):
    _, specs, _, out, outcome = portfolio
    assert sorted(outcome.fitted) == [f"brand{seed}-mixscope" for seed in (1, 2, 3, 4)]
    assert list(outcome.failed) == ["broken-mixscope"]
    assert "tv_budget" in outcome.failed["broken-mixscope"]  # names the missing column
    for name in outcome.fitted:
        verify_run(out / name)
    assert not (out / "broken-mixscope").exists()


def test_batch_draws_equal_fitting_one_by_one(portfolio, tmp_path):
    """One by one = `mixscope fit` in a process of its own, as a user runs it. (Not a fit inside this
    test process: a library the suite loaded while collecting may have changed its floating-point
    state, and NUTS turns a last-bit difference into other draws.)"""
    _, specs, _, out, outcome = portfolio
    command = Path(sys.executable).with_name("mixscope")
    for job in plan_jobs(specs, tmp_path):
        fitted = subprocess.run([str(command), "fit", str(job.spec_path), "--out", str(tmp_path / job.name)],
                                capture_output=True, text=True, timeout=600)
        assert fitted.returncode == 0, fitted.stderr
        alone, batched = _roi(tmp_path / job.name), _roi(out / job.name)
        assert alone.keys() == batched.keys()
        for channel, value in alone.items():
            assert batched[channel] == pytest.approx(value, rel=1e-6, abs=1e-9), (job.name, channel)


def test_catalog_holds_every_run_and_failure_and_is_queryable(portfolio):
    _, _, _, out, outcome = portfolio
    catalog = pd.read_parquet(out / CATALOG)
    ok = catalog[catalog.status == "ok"]
    assert sorted(ok.run.unique()) == sorted(outcome.fitted)
    for name in outcome.fitted:
        rows = ok[ok.run == name].set_index("channel")
        assert rows.roi_mean.to_dict() == pytest.approx(_roi(out / name))
        assert rows.diagnostics_ok.nunique() == 1
    failed = catalog[catalog.status == "failed"]
    assert failed.run.tolist() == ["broken-mixscope"] and "tv_budget" in failed.reason.iloc[0]
    result = runner.invoke(app, ["query", str(out), "SELECT run, max(roi_mean) AS best FROM catalog "
                                 "WHERE status = 'ok' GROUP BY run ORDER BY run", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["run"] for row in rows] == sorted(outcome.fitted)
    refused = runner.invoke(app, ["query", str(out), "SELECT * FROM read_csv('/etc/passwd')"])
    assert refused.exit_code != 0 and "Tables: catalog" in refused.output


def _manifest_times(out: Path) -> dict[str, int]:
    return {path.name: (path / "manifest.json").stat().st_mtime_ns for path in out.iterdir() if path.is_dir()}


def test_rerun_skips_unchanged_specs(portfolio):
    root, specs, bad, out, _ = portfolio
    before = _manifest_times(out)
    again = run_batch([*specs, bad], out, workers=1)  # only the bad spec is left: no cluster is started
    assert sorted(again.skipped) == sorted(before) and again.fitted == ()
    assert list(again.failed) == ["broken-mixscope"]
    assert _manifest_times(out) == before


def test_cli_batch_reports_failures_with_exit_code_and_json(portfolio):
    _, specs, bad, out, _ = portfolio
    result = runner.invoke(app, ["batch", str(specs[0]), str(bad), "--out", str(out), "--json"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["skipped"] == ["brand1-mixscope"] and list(payload["failed"]) == ["broken-mixscope"]


def test_a_killed_worker_still_ends_with_every_run_valid(tmp_path):
    specs = _specs(tmp_path, (5, 6), weeks=104)
    out = tmp_path / "runs"
    with batch_client(workers=2) as client:
        killed: list[int] = []

        def kill_first_busy_worker() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = [address for address, keys in client.processing().items() if keys]
                if busy:
                    time.sleep(2)  # inside the fit (compiling or sampling), not at its start
                    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.2)

        killer = threading.Thread(target=kill_first_busy_worker)
        killer.start()
        outcome = run_batch(specs, out, client=client)
        killer.join()
    assert killed, "no worker was busy long enough to be killed"
    assert outcome.failed == {} and sorted(outcome.fitted) == ["brand5-mixscope", "brand6-mixscope"]
    for name in outcome.fitted:
        verify_run(out / name)
    assert sorted(path.name for path in out.iterdir()) == sorted([*outcome.fitted, CATALOG, "catalog.duckdb"])


def test_unreachable_scheduler_is_a_clear_error_within_ten_seconds(tmp_path):
    started = time.monotonic()
    refused = r"Could not reach the Dask scheduler at tcp://127\.0\.0\.1:9 .*dask scheduler"
    with pytest.raises(MixscopeError, match=refused), batch_client("tcp://127.0.0.1:9"):
        pass
    assert time.monotonic() - started < 12
