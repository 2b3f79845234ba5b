"""``plan`` and ``frontier``: allocations under constraints, from the stored surface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, friendly_errors, interval, number_text, out, print_table
from mixscope.errors import MixscopeError

_BudgetOption = typer.Option(None, "--budget", help="Total: 1.2x (of current), 1500000, or a range 1x-1.3x.")
_MaxChangeOption = typer.Option(None, "--max-change", help="Keep channels within ±P% of current, e.g. 30%.")
_MinOption = typer.Option([], "--min", help="CHANNEL=AMOUNT lower bound (repeatable).")
_MaxOption = typer.Option([], "--max", help="CHANNEL=AMOUNT upper bound (repeatable).")
_LockOption = typer.Option([], "--lock", help="Keep CHANNEL at its current spend (repeatable).")
_TrustOption = typer.Option(
    True, "--trust-region/--no-trust-region",
    help="Keep weekly spend within the highest level the data ever showed (default on).",
)


def _constraints(
    stored, budget: str | None, max_change: str | None, minimum: list[str], maximum: list[str],
    lock: list[str], trust_region: bool, target_roi: float | None = None, target_cpa: float | None = None,
):
    """The command's constraint options, read against the surface's current total spend."""
    from mixscope.plan.amounts import parse_constraints

    return parse_constraints(
        float(stored.historical_plan().sum()), budget=budget, max_change=max_change, minimum=minimum,
        maximum=maximum, locked=lock, trust_region=trust_region, target_roi=target_roi, target_cpa=target_cpa,
    )


@app.command()
@friendly_errors
def plan(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    budget: str = _BudgetOption,
    max_change: str = _MaxChangeOption,
    minimum: list[str] = _MinOption,
    maximum: list[str] = _MaxOption,
    lock: list[str] = _LockOption,
    trust_region: bool = _TrustOption,
    objective: str = typer.Option(
        None, help="mean (default: expected outcome), mean-sd:1 (less one sd of the gain), quantile:0.1 "
        "or prob-beats-current.",
    ),
    target_roi: float = typer.Option(None, help="Largest budget whose best plan returns at least this ROI."),
    target_cpa: float = typer.Option(None, help="Largest budget whose best plan costs at most this CPA."),
    tolerance: str = typer.Option("1%", help="Near-optimal: within this share of the best media outcome."),
    min_confidence: str = typer.Option(
        "80%", help="Keep the current mix unless the best plan beats it with this probability "
        "(0% = always move).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Recommend an allocation under constraints, with near-optimal ranges and its uncertainty."""
    from mixscope.plan import DEFAULT_OBJECTIVE, Objective, optimize
    from mixscope.plan.amounts import parse_fraction
    from mixscope.spec import run_currency
    from mixscope.surface import Surface

    stored = Surface.load(run_dir)
    constraints = _constraints(stored, budget, max_change, minimum, maximum, lock, trust_region,
                               target_roi, target_cpa)
    share = parse_fraction(tolerance, "--tolerance")
    if not 0 < share < 1:
        raise MixscopeError(f"--tolerance must be between 0% and 100%, got {tolerance}.")
    confidence = parse_fraction(min_confidence, "--min-confidence")
    if not 0 <= confidence < 1:
        raise MixscopeError(f"--min-confidence must be between 0% and 100% (excluded), got {min_confidence}.")
    chosen = DEFAULT_OBJECTIVE if objective is None else Objective.parse(objective)
    result = optimize(stored, constraints, chosen, near_optimal_tolerance=share,
                      min_confidence=confidence or None)
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
        return
    _print_plan(payload, result.near_optimal.sentences(), run_currency(run_dir))


def _probability(value: float | None) -> str:
    """A probability as a percentage, or an em dash where it compares a plan with itself."""
    return "—" if value is None else f"{value:.0%}"


def _print_plan(payload: dict[str, Any], sentences: list[str], currency: str | None = None) -> None:
    from mixscope.insights.formatting import with_currency

    table = Table(title=f"Recommended allocation (maximising {payload['objective']})")
    unit = f" ({currency})" if currency else ""
    for column in ("channel", f"current{unit}", f"recommended{unit}", "change", "near-optimal share",
                   "mROI after"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for name, spend in payload["allocation"].items():
        current = payload["current"][name]
        ranges = payload["near_optimal_ranges"][name]
        relative = 0.0 if current == 0 else spend / current - 1
        change = "n/a" if current == 0 else ("0%" if abs(relative) < 0.005 else f"{relative:+.0%}")
        table.add_row(
            name, f"{current:,.0f}", f"{spend:,.0f}", change,
            f"{ranges['share_min']:.0%}–{ranges['share_max']:.0%}",
            f"{payload['marginal_roi'][name]['mean']:.2f}",
        )
    print_table(table)

    def money(value: float) -> str:
        return with_currency(f"{value:,.0f}", currency)

    out.print(
        f"Total {money(payload['total_budget'])} (current {money(payload['current_total'])}). "
        f"Expected outcome {interval(payload['expected_outcome'])} vs current "
        f"{interval(payload['current_outcome'])}.\n"
        f"Uplift {interval(payload['uplift'], '+,.0f')} ({number_text(payload['uplift_relative'], '+.2%')}); "
        f"probability of beating the current plan: {_probability(payload['prob_beats_current'])}.\n"
        f"Decision: {payload['decision']}."
    )
    for name, reason in payload["binding_constraints"].items():
        out.print(f"  {name}: {reason}")
    move = payload.get("next_dollar_at_current")
    if move:
        out.print(
            f"At current spend the next dollar earns most in {move['to']} and least in {move['from']} "
            f"(+{move['gain_per_dollar']:.2f} per dollar moved; "
            f"probability it pays: {move['prob_to_beats_from']:.0%})."
        )
    for line in [*sentences, *payload["notes"]]:
        out.print(f"- {line}")


@app.command()
@friendly_errors
def frontier(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    levels: str = typer.Option(None, help="LOW:HIGH:STEP budget multiples (default: the surface's levels)."),
    max_change: str = _MaxChangeOption,
    minimum: list[str] = _MinOption,
    maximum: list[str] = _MaxOption,
    lock: list[str] = _LockOption,
    trust_region: bool = _TrustOption,
    target_mroi: float = typer.Option(1.0, help="Mark where the marginal return falls below this."),
    save: Path = typer.Option(None, "--out", "-o", help="Also write the table to CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON records."),
) -> None:
    """Best achievable outcome per total budget, with its interval, mROI and allocation."""
    import numpy as np

    from mixscope.insights.formatting import fmt_amount
    from mixscope.plan import frontier as efficient_frontier
    from mixscope.surface import Surface

    stored = Surface.load(run_dir)
    constraints = _constraints(stored, None, max_change, minimum, maximum, lock, trust_region)
    grid = None
    if levels:
        try:
            low, high, step = (float(part) for part in levels.split(":"))
        except ValueError:
            raise MixscopeError(f"--levels must be LOW:HIGH:STEP, e.g. 0.5:2:0.1; got '{levels}'.") from None
        if not 0 < low <= high or step <= 0:
            raise MixscopeError(f"--levels needs 0 < LOW <= HIGH and STEP > 0; got '{levels}'.")
        grid = np.round(np.arange(low, high + step / 2, step), 10)
    table = efficient_frontier(stored, constraints, grid, target_mroi=target_mroi)
    if save is not None:
        table.to_csv(save, index=False)
    if as_json:
        emit_json(json.loads(table.to_json(orient="records")))
        return
    view = Table(title="Efficient frontier (best expected outcome per budget)")
    # The interval has its own column, in rounded k/M form, so that an 80-column terminal shows each
    # row on one line instead of wrapping the outcome cell over three.
    for column in ("budget", "total spend", "outcome", "90% interval", "ROI", "mROI"):
        view.add_column(column, justify="right")
    for row in table.itertuples(index=False):
        if not row.feasible:
            view.add_row(
                f"{row.budget_level:.2f}x", f"{row.total_spend:,.0f}", "infeasible", "under constraints",
                "", "",
            )
            continue
        marginal = "" if np.isnan(row.marginal_roi_mean) else f"{row.marginal_roi_mean:.2f}"
        view.add_row(
            f"{row.budget_level:.2f}x", f"{row.total_spend:,.0f}", f"{row.outcome_mean:,.0f}",
            f"{fmt_amount(row.outcome_q05)}–{fmt_amount(row.outcome_q95)}",
            f"{row.roi_mean:.2f}", f"{marginal} ←" if row.crosses_target else marginal,
        )
    print_table(view)
    if table["crosses_target"].any():
        out.print(f"← the first budget where the marginal ROI falls below {target_mroi:g}.")
    if save is not None:
        out.print(f"Saved to {save}.")
