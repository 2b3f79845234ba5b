"""A run whose names are attacks: channel, KPI and run-directory names written as HTML, script,
attribute breakouts, Rich markup and JavaScript's ``__proto__``. Fitted with the fast ridge baseline
(no sampler): the tests are about what the names do downstream, not about the model."""

from __future__ import annotations

import pandas as pd
import pytest

# Each would set window.__pwned (and log "pwned" to the console) if a page ever ran it as code.
HOSTILE_CHANNELS = {
    "tv": "<img src=x onerror=\"window.__pwned=1;console.log('pwned')\">",
    "search": "<script>window.__pwned=2;console.log('pwned')</script>",
    "social": "\" onfocus=\"window.__pwned=3\" autofocus x=\"",
    "display": "[red]disp[/red] :smile: {0} %s ${x}",
    "radio": "__proto__",
}
HOSTILE_KPI = "<svg onload=\"window.__pwned=5\">revenue"
HOSTILE_RUN = "run<img src=x onerror=window.__pwned=6>"


@pytest.fixture(scope="session")
def hostile_run_dir(tmp_path_factory):
    """A fitted run with a surface, every name hostile; tests must not modify it."""
    from mixscope.data import load_dataset
    from mixscope.ridge import fit_ridge
    from mixscope.run import save_run
    from mixscope.simulate import write_simulated_project
    from mixscope.spec import parse_spec
    from mixscope.surface.build import SurfaceOptions, build_surface

    folder = tmp_path_factory.mktemp("hostile")
    spec_path, _, _ = write_simulated_project(folder, 1, 104, 3)
    frame = pd.read_csv(folder / "data.csv")
    columns = {f"{plain}_spend": f"{name}_spend" for plain, name in HOSTILE_CHANNELS.items()}
    frame.rename(columns={**columns, "revenue": HOSTILE_KPI}).to_csv(folder / "hostile.csv", index=False)
    raw = {
        "data": {"path": "hostile.csv", "date": "date", "kpi": HOSTILE_KPI,
                 "controls": ["price", "promo", "holiday"]},
        "channels": {name: {"spend": f"{name}_spend"} for name in HOSTILE_CHANNELS.values()},
    }
    spec = parse_spec(raw, base_dir=folder, source=spec_path)
    dataset, _ = load_dataset(spec)
    result = fit_ridge(spec, dataset, method="ols", iterations=0, bootstraps=60)
    run_dir = save_run(result, folder / HOSTILE_RUN)
    build_surface(run_dir, SurfaceOptions(grid_points=40, n_sobol=16, n_neighbourhood=8, check_plans=8,
                                          check_draws=20))
    return run_dir
