"""Every run of a batch in one table, ``DIR/catalog.parquet``, for cross-model questions.

One row per run and channel: ROI, marginal ROI and contribution share (mean and 90%
interval), spend, and the run's diagnostics beside them; a spec that failed has one
row with its ``reason``. ``DIR/catalog.duckdb`` holds a view over the Parquet file for
any DuckDB client; ``mixscope query DIR "SQL"`` reads it in mixscope's sandbox.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

CATALOG = "catalog.parquet"
CATALOG_DUCKDB = "catalog.duckdb"
_DIAGNOSTICS = ("max_rhat", "min_ess_bulk", "divergences", "r2", "mape", "holdout_mape")


def build_catalog(
    out: Path, runs: Mapping[str, str], failures: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Write ``out/catalog.parquet`` (and its DuckDB view) for ``runs`` and ``failures``; return it.

    ``runs`` maps run folder names under ``out`` to their spec files; ``failures`` maps a
    name to its record (``spec``, ``reason``). Both files are replaced atomically.
    """
    out = Path(out)
    rows = [row for name in sorted(runs) for row in _run_rows(out / name, name, runs[name])]
    rows += [{"run": name, "spec": record.get("spec"), "status": "failed", "reason": record.get("reason")}
             for name, record in sorted((failures or {}).items())]
    frame = pd.DataFrame(rows, columns=_columns())
    with tempfile.NamedTemporaryFile(dir=out, suffix=".parquet.tmp", delete=False) as handle:
        staging = Path(handle.name)
    try:
        frame.to_parquet(staging, index=False)
        os.replace(staging, out / CATALOG)
    finally:
        staging.unlink(missing_ok=True)
    _write_view(out)
    return frame


def _run_rows(run_dir: Path, name: str, spec: str) -> list[dict[str, Any]]:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    diagnostics = summary.get("diagnostics", {})
    common = {
        "run": name, "spec": spec, "status": "ok", "reason": None,
        "engine": summary.get("engine"), "kpi": summary.get("kpi"),
        "diagnostics_ok": bool(summary.get("diagnostics_ok")), "fit_seconds": summary.get("fit_seconds"),
        "data_hash": manifest.get("data_hash"), "spec_hash": manifest.get("spec_hash"),
        **{key: diagnostics.get(key) for key in _DIAGNOSTICS},
    }
    rows = []
    for channel in summary["channels"]:
        row = {**common, "channel": channel, "spend": summary.get("spend", {}).get(channel),
               "prior_driven": channel in summary.get("prior_driven", ())}
        for metric in ("roi", "mroi", "contribution_share"):
            figures = summary[metric][channel]
            row[f"{metric}_mean"] = figures["mean"]
            row[f"{metric}_q05"], row[f"{metric}_q95"] = figures["ci_90"]
        rows.append(row)
    return rows


def _columns() -> list[str]:
    metrics = [f"{metric}_{part}" for metric in ("roi", "mroi", "contribution_share")
               for part in ("mean", "q05", "q95")]
    return ["run", "channel", "status", "reason", "spec", "engine", "kpi", "spend", *metrics, "prior_driven",
            "diagnostics_ok", *_DIAGNOSTICS, "fit_seconds", "data_hash", "spec_hash"]


def _write_view(out: Path) -> None:
    """``catalog.duckdb`` with a view ``catalog`` over the Parquet file (its absolute path)."""
    import duckdb

    target = out / CATALOG_DUCKDB
    staging = out / f".{CATALOG_DUCKDB}.tmp"
    staging.unlink(missing_ok=True)
    connection = duckdb.connect(str(staging))
    try:
        path = str((out / CATALOG).resolve()).replace("'", "''")
        connection.execute(f"CREATE VIEW catalog AS SELECT * FROM read_parquet('{path}')")
    finally:
        connection.close()
    os.replace(staging, target)

