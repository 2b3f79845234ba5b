"""Synthetic summaries (no fit needed) and facts shared by the insights tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mixscope.insights.facts import Facts, build_facts, facts_from_summary


def metric(mean: float, lo: float, hi: float) -> dict[str, Any]:
    return {"mean": mean, "median": mean, "ci_90": [lo, hi]}


def synthetic_summary(channels: list[str] | None = None, *, diagnostics_ok: bool = True) -> dict[str, Any]:
    """A summary.json with known numbers: search has the highest mROI, radio the lowest."""
    channels = channels or ["tv", "search", "radio"]
    roi = [(1.27, 0.73, 2.03), (2.73, 1.35, 4.74), (0.84, 0.24, 1.84)]
    mroi = [(0.98, 0.65, 1.31), (1.57, 1.23, 1.94), (0.29, 0.07, 0.73)]
    share = [(0.044, 0.026, 0.071), (0.090, 0.045, 0.156), (0.008, 0.002, 0.018)]
    spend = [2_699_185.12, 2_450_680.45, 776_856.36]
    return {
        "kpi": "revenue", "kpi_type": "revenue", "roi_units": "revenue per unit of spend",
        "channels": channels, "geos": ["national"],
        "periods": {"start": "2022-01-03", "end": "2024-12-23", "count": 156, "holdout": 0},
        "spend": dict(zip(channels, spend, strict=True)),
        "roi": {c: metric(*v) for c, v in zip(channels, roi, strict=True)},
        "mroi": {c: metric(*v) for c, v in zip(channels, mroi, strict=True)},
        "contribution_share": {c: metric(*v) for c, v in zip(channels, share, strict=True)},
        "baseline_share": metric(0.858, 0.78, 0.91),
        "engine": "bayes",
        "diagnostics": {"max_rhat": 1.007 if diagnostics_ok else 1.08, "min_ess_bulk": 611.4,
                        "divergences": 0, "r2": 0.82, "mape": 0.0286, "holdout_mape": None},
        "diagnostics_ok": diagnostics_ok,
        "warnings": [] if diagnostics_ok else ["DIAGNOSTICS FAILED: max R-hat 1.080 > 1.01"],
    }


def write_run(directory: Path, summary: dict[str, Any]) -> Path:
    """A minimal run directory: just summary.json (all the insights layer reads without a surface)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


@pytest.fixture
def summary_facts() -> Facts:
    return facts_from_summary(synthetic_summary())


@pytest.fixture(scope="session")
def surface_facts(national_surface_dir) -> Facts:
    """Facts of the shared national run with its surface: plan, ranges and frontier included."""
    return build_facts(national_surface_dir)
