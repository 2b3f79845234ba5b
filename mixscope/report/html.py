"""Assemble a run into one self-contained HTML report.

The file embeds Plotly's JavaScript from the installed ``plotly`` package, so it
opens offline, can be mailed as an attachment, and never calls a CDN. Each
section has a title, a one-line reading guide and its chart(s); sections whose
inputs are missing (no surface yet, a ridge fit without sampler diagnostics)
say what to run instead of silently disappearing.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from mixscope.errors import MixscopeError
from mixscope.insights.formatting import currency_label, with_currency
from mixscope.report import figures
from mixscope.report.baseline import baseline_components
from mixscope.storage import write_text_atomically
from mixscope.surface.support import observed_max_spend

if TYPE_CHECKING:
    from mixscope.run import Run

_PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Section:
    """One report section: an anchor id, a title, a reading guide and its content (figures or HTML)."""

    key: str
    title: str
    guide: str
    figures: tuple[go.Figure, ...] = ()
    body: str = ""  # extra HTML (tables, lists) shown above the figures
    unavailable: str | None = None  # why the charts could not be drawn, and what to do


@dataclass(frozen=True)
class Report:
    """The assembled report: sections plus header facts; :meth:`to_html` renders one file."""

    title: str
    facts: dict[str, str]
    warnings: tuple[str, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def to_html(self) -> str:
        return _render(self)

    def save(self, output: str | Path) -> Path:
        """Write the HTML to ``output`` atomically: never a half-written report, no temporary left."""
        output = check_output(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(output, self.to_html())
        return output


def check_output(output: str | Path) -> Path:
    """``output`` as a path the report can be written to; a directory is refused, naming a file to use."""
    output = Path(output)
    if output.is_dir():
        raise MixscopeError(
            f"-o {output} is a directory; give the report's file name, e.g. -o {output / 'report.html'}."
        )
    return output


def build_report(run_dir: str | Path, narrative: bool = True) -> Report:
    """Read a run directory (and its surface, if built) into a :class:`Report`."""
    from mixscope.run import load_run

    run_dir = Path(run_dir)
    run = load_run(run_dir)
    summary = run.summary
    context = _Context(run_dir, run, summary)
    builders: list[Callable[[_Context], Section]] = [
        _data_section, _fit_section, _contribution_section, _roi_section, _curves_section,
        _adstock_section, _diagnostics_section, _plan_section,
    ]
    if narrative:
        builders.insert(0, _narrative_section)
    sections = tuple(_guarded(builder, context) for builder in builders)
    d = summary["diagnostics"]
    facts = {
        "KPI": f"{summary['kpi']} ({summary['kpi_type']})",
        "channels": ", ".join(summary["channels"]),
        "periods": f"{summary['periods']['start']} … {summary['periods']['end']} "
                   f"({summary['periods']['count']}, holdout {summary['periods'].get('holdout', 0)})",
        "engine": str(summary.get("engine", "bayes")),
        "diagnostics": "ok" if summary.get("diagnostics_ok") else "FAILED — read the warnings",
        "fit": f"R² {d['r2']:.3f}, MAPE {d['mape']:.1%}"
               + ("" if d.get("holdout_mape") is None else f", holdout MAPE {d['holdout_mape']:.1%}"),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    facts["run"] = run_dir.name
    return Report(report_title(run.spec.data.name, str(summary["kpi"])), facts,
                  tuple(summary.get("warnings", [])), sections)


def report_title(name: str | None, kpi: str) -> str:
    """What the report is of: the spec's ``[data] name`` and the KPI, not the run folder's name."""
    return f"{name}: {kpi} mix model report" if name else f"{kpi[:1].upper()}{kpi[1:]} mix model report"


def write_report(run_dir: str | Path, output: str | Path, narrative: bool = True) -> Path:
    """Build the report for ``run_dir`` and write it to ``output`` (one HTML file)."""
    check_output(output)  # before the minutes of building, not after
    return build_report(run_dir, narrative=narrative).save(output)


# --------------------------------------------------------------------------- inputs


@dataclass
class _Context:
    """What the section builders share; the surface and plan are loaded once, on first use."""

    run_dir: Path
    run: Run
    summary: dict[str, Any]
    _surface: Any = None
    _surface_error: str | None = None
    _plan: dict[str, Any] | None = None

    @property
    def currency_label(self) -> str:
        """The unit money axes name: the spec's ``[data] currency``, else the generic word."""
        return currency_label(self.run.spec.data.currency)

    def money(self, value: float) -> str:
        return html.escape(with_currency(f"{value:,.0f}", self.run.spec.data.currency))

    @property
    def kpi(self) -> str:
        return str(self.summary["kpi"])

    @property
    def surface(self) -> Any:
        if self._surface is None and self._surface_error is None:
            from mixscope.surface import Surface

            try:
                self._surface = Surface.load(self.run_dir)
            except MixscopeError as error:
                # The surface's own message says how to build it; the report adds what comes after.
                self._surface_error = f"{error} Then re-run `mixscope report` to draw this section."
        return self._surface

    def plan(self) -> dict[str, Any]:
        if self._plan is None:
            from mixscope.plan import Constraints, optimize

            self._plan = optimize(self.surface, Constraints()).to_dict()
        return self._plan


def _guarded(builder: Callable[[_Context], Section], context: _Context) -> Section:
    """A failing section becomes a note in the report rather than no report at all."""
    try:
        return builder(context)
    except MixscopeError as error:
        name = builder.__name__.strip("_").removesuffix("_section")
        return Section(name, name.title(), "", unavailable=str(error))


def _flat(data_array: Any) -> np.ndarray:
    """``(chain, draw, ...)`` → ``(chain × draw, ...)``."""
    values = np.asarray(data_array)
    return values.reshape((-1, *values.shape[2:]))


# --------------------------------------------------------------------------- sections


def _narrative_section(ctx: _Context) -> Section:
    guide = "The run in words, generated from the numbers in this report; every figure quoted is checked."
    try:
        from mixscope.insights import explain_run
    except ImportError:
        return Section("narrative", "Summary", guide,
                       unavailable="The narrative is unavailable: the insights layer (mixscope.insights) "
                                   "is not installed in this version.")
    try:
        story = explain_run(ctx.run_dir).to_dict()
    except Exception as error:  # noqa: BLE001 - a narrative failure must not lose the charts
        return Section("narrative", "Summary", guide,
                       unavailable=f"The narrative is unavailable: {type(error).__name__}: {error}")
    parts = [f"<p class='lead'>{html.escape(str(story.get('summary', '')))}</p>"]
    findings = [item.get("text", "") if isinstance(item, dict) else str(item)
                for item in story.get("findings", [])]
    if findings:
        parts.append("<h3>Findings</h3><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in findings)
                     + "</ul>")
    recommendations = [item.get("text", "") if isinstance(item, dict) else str(item)
                       for item in story.get("recommendations", [])]
    if recommendations:
        parts.append("<h3>Recommendations</h3><ul>"
                      + "".join(f"<li>{html.escape(t)}</li>" for t in recommendations) + "</ul>")
    verified = "verified against the run's numbers" if story.get("verified") else "NOT verified"
    parts.append(f"<p class='small'>Backend: {html.escape(str(story.get('backend')))}; {verified}."
                 + (f" Fallback: {html.escape(str(story['fallback_reason']))}."
                    if story.get("fallback_reason") else "") + "</p>")
    return Section("narrative", "Summary", guide, body="".join(parts))


def _data_section(ctx: _Context) -> Section:
    from mixscope.data import validate_frame

    spec, summary = ctx.run.spec, ctx.summary
    frame = pd.read_parquet(ctx.run_dir / "data.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = validate_frame(frame.copy(), spec)
    date = spec.data.date
    spend_columns = {channel.name: channel.spend for channel in spec.channels}
    per_period = frame.groupby(date, sort=True)[[spec.data.kpi, *spend_columns.values()]].sum()
    spend = per_period[list(spend_columns.values())].rename(columns={v: k for k, v in spend_columns.items()})
    figure = figures.data_overview(pd.to_datetime(per_period.index.to_series()), per_period[spec.data.kpi],
                                   spend, ctx.kpi, ctx.currency_label)
    rows = [
        ("rows × columns", f"{len(frame):,} × {frame.shape[1]}"),
        ("geos", ", ".join(summary.get("geos", ["national"]))),
        ("periods", "{start} … {end} ({count})".format(**summary["periods"])),
        (f"total {ctx.kpi}", f"{frame[spec.data.kpi].sum():,.0f}"),
        ("controls", ", ".join(spec.data.controls) or "none"),
    ]
    rows += [(f"{name} spend", ctx.money(value)) for name, value in summary["spend"].items()]
    table = _table(("item", "value"), rows)
    if report.findings:
        items = "".join(
            f"<li class='{finding.level}'><b>{finding.level.upper()}</b> [{html.escape(finding.code)}] "
            f"{html.escape(finding.message)}</li>"
            for finding in report.findings
        )
        findings = f"<h3>Validation findings</h3><ul class='findings'>{items}</ul>"
    else:
        findings = "<h3>Validation findings</h3><p>The data passed every validation check.</p>"
    return Section(
        "data", "Data overview",
        "Bars stack each channel's spend per period (left axis); the line is the KPI (right axis).",
        (figure,), body=table + findings,
    )


def _fit_section(ctx: _Context) -> Section:
    figure = figures.fit_over_time(ctx.run.predictions, ctx.kpi)
    d = ctx.summary["diagnostics"]
    coverage = d.get("ppc_coverage_90")
    body = _table(("metric", "value"), [
        ("R²", f"{d['r2']:.3f}"), ("MAPE", f"{d['mape']:.1%}"),
        ("holdout MAPE", "no holdout" if d.get("holdout_mape") is None else f"{d['holdout_mape']:.1%}"),
        ("90% interval coverage", "n/a" if coverage is None else f"{coverage:.0%} (ideal ≈ 90%)"),
    ])
    return Section(
        "fit", "Model fit over time",
        "Dots are the observed KPI, the line and band the model's prediction with its 90% interval; "
        "the shaded span is held out of fitting, so the fit there is an honest test.",
        (figure,), body=body,
    )


def _contribution_section(ctx: _Context) -> Section:
    channels = ctx.summary["channels"]
    parts = baseline_components(ctx.run)
    split = (", split into its trend (the level demand moves around), seasonality and each control's "
             "effect relative to that control's average" if parts else "")
    organic = ctx.summary.get("organic_contribution_share", {})  # no spend: shown, never budgeted
    shares = ctx.summary["contribution_share"] | {f"{name} (organic)": organic[name] for name in organic}
    return Section(
        "contributions", "Contributions",
        "The stacked areas add up to the predicted KPI: the grey baseline is what would happen without "
        f"media{split}; the bars give each source's share of the total with its 90% interval.",
        (figures.contribution_over_time(ctx.run.predictions, channels, ctx.kpi, parts),
         figures.contribution_shares(shares, ctx.summary.get("baseline_share"))),
    )


def _roi_section(ctx: _Context) -> Section:
    summary = ctx.summary
    prior_driven = set(summary.get("prior_driven", ()))
    rows = [
        (name, f"{summary['roi'][name]['mean']:.2f}",
         "[{:.2f}, {:.2f}]".format(*summary["roi"][name]["ci_90"]),
         f"{summary['mroi'][name]['mean']:.2f}", "[{:.2f}, {:.2f}]".format(*summary["mroi"][name]["ci_90"]),
         "prior-driven" if name in prior_driven else "")
        for name in summary["channels"]
    ]
    revenue = "revenue" in str(summary.get("roi_units", ""))
    note = (" Channels marked * (prior-driven) have an ROI that is mostly the prior's: the data barely "
            "narrowed or moved it, so read it as an assumption until a lift test measures it."
            if prior_driven else "")
    return Section(
        "roi", "ROI and marginal ROI",
        "ROI is the return per unit of all past spend; marginal ROI the return on the next unit. "
        + ("Below the dashed line at 1 a channel returns less than it costs." if revenue else "") + note,
        (figures.roi_mroi(summary["roi"], summary["mroi"], summary["roi_units"], revenue, prior_driven),),
        body=_table(("channel", "ROI", "90% interval", "mROI", "90% interval", "evidence"), rows)
        + _frequency_table(summary),
    )


def _frequency_table(summary: dict) -> str:
    """Reach & frequency channels: the historical frequency plans use, and the ROI-maximising one."""
    channels = summary.get("reach_frequency", {})
    if not channels:
        return ""
    rows = [
        (name, f"{entry['historical_frequency']:.2f}", f"{entry['optimal_frequency']['median']:.2f}",
         "[{:.2f}, {:.2f}]".format(*entry["optimal_frequency"]["ci_90"]))
        for name, entry in channels.items()
    ]
    note = html.escape(summary.get("reach_frequency_note", ""))
    header = ("channel", "historical frequency", "optimal frequency", "90% interval")
    return f"<p>{note}</p>" + _table(header, rows)


def _curves_section(ctx: _Context) -> Section:
    guide = ("Each panel is one channel's incremental outcome over the reference window as its spend "
             "changes (band: 90% interval); the dot is current spend, the cross the break-even spend, past "
             "which the next unit of spend returns less than 1 (revenue per unit of spend). The shaded "
             "span, right of the dotted line, is spend whose strongest week would pass the largest weekly "
             "media level in the data: there the curve is extrapolated.")
    surface = ctx.surface
    if surface is None:
        return Section("curves", "Response curves", guide, unavailable=ctx._surface_error)
    curves = surface.curves
    figure = figures.response_curves(
        surface.channels, curves.spend_grid, curves.kpi, curves.reference_spend, ctx.kpi, curves.revenue,
        currency=ctx.currency_label, observed=_observed_edges(surface),
    )
    window = surface.manifest["reference"]
    note = (f"<p class='small'>Reference window {window['start']} … {window['end']} "
            f"({window['periods']} periods); outcome in {html.escape(surface.units['outcome'])}.</p>")
    return Section("curves", "Response curves", guide, (figure,), body=note)


def _observed_edges(surface: Any) -> list[float | None]:
    """Per channel, the window spend at which the data's largest weekly media level is reached."""
    support = surface.manifest["support"]
    return [observed_max_spend(support[name], surface.curves.spend_grid[c])
            for c, name in enumerate(surface.channels)]


def _adstock_section(ctx: _Context) -> Section:
    posterior = ctx.run.idata.posterior
    guide = ("How a period's media effect is spread over that period (lag 0) and later ones; "
             "slow decay means spend keeps working for weeks (points: median, whiskers: 90% interval).")
    if "adstock_decay" not in posterior:
        return Section("adstock", "Adstock decay", guide,
                       unavailable="This run stores no adstock parameters.")
    decay = posterior["adstock_decay"]
    peaks = posterior.get("adstock_peak")
    weights = {}
    for channel in ctx.run.spec.channels:
        draws = _flat(decay.sel(channel=channel.name))
        peak = None
        if channel.adstock == "delayed" and peaks is not None:
            peak = _flat(peaks.sel(delayed_channel=channel.name))
        weights[channel.name] = figures.adstock_weights(draws, channel.max_lag, peak)
    return Section("adstock", "Adstock decay", guide, (figures.adstock_decay(weights),))


def _diagnostics_section(ctx: _Context) -> Section:
    summary, posterior = ctx.summary, ctx.run.idata.posterior
    d = summary["diagnostics"]
    guide = ("R-hat near 1 and ESS above 400 mean the chains agree and the draws suffice; where the "
             "posterior (histogram) sits away from the dashed prior, the data moved the ROI.")
    rows = [
        ("max R-hat", _fmt(d.get("max_rhat"), ".3f"), "≤ 1.01"),
        ("min bulk ESS", _fmt(d.get("min_ess_bulk"), ".0f"), "≥ 400"),
        ("divergences", _fmt(d.get("divergences"), ""), "≤ 1% of draws"),
        ("R²", _fmt(d.get("r2"), ".3f"), ""),
        ("MAPE", _fmt(d.get("mape"), ".1%"), ""),
        ("holdout MAPE", _fmt(d.get("holdout_mape"), ".1%"), ""),
    ]
    failures = html.escape("; ".join(summary.get("warnings", [])))
    status = ("<p class='ok'>All diagnostics pass.</p>" if summary.get("diagnostics_ok")
              else f"<p class='bad'>Some diagnostics FAIL: {failures}</p>")
    body = _table(("diagnostic", "value", "target"), rows) + status
    charts: list[go.Figure] = []
    roi_name = "roi" if "roi" in posterior else "channel_roi" if "channel_roi" in posterior else None
    if roi_name is not None:
        values = posterior[roi_name]
        dim = next(name for name in values.dims if name not in ("chain", "draw"))
        draws = {name: _flat(values.sel({dim: name})) for name in summary["channels"]}
        priors = summary.get("roi_priors") or {}
        charts.append(figures.roi_prior_posterior(draws, priors, summary["roi_units"]))
    if summary.get("engine", "bayes") == "bayes" and posterior.sizes.get("chain", 1) > 1:
        import arviz as az

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rhat, ess = az.rhat(ctx.run.idata), az.ess(ctx.run.idata, method="bulk")
        charts.insert(0, figures.convergence(
            {name: float(rhat[name].max()) for name in rhat.data_vars},
            {name: float(ess[name].min()) for name in ess.data_vars},
        ))
    return Section("diagnostics", "Diagnostics", guide, tuple(charts), body=body)


def _plan_section(ctx: _Context) -> Section:
    from mixscope.plan import Constraints, frontier

    guide = ("The curve is the best expected outcome at each total budget (band: 90% interval); the dot is "
             "today's plan, the star the recommended mix at today's budget (outcome: the window's KPI plus "
             "the plan's carryover). Bars compare channel spend, whiskers show how far each can move while "
             "staying within 1% of the best.")
    surface = ctx.surface
    if surface is None:
        return Section("plan", "Frontier and recommended plan", guide, unavailable=ctx._surface_error)
    plan = ctx.plan()
    table = frontier(surface, Constraints())
    current_total = float(surface.historical_plan().sum())
    frontier_figure = figures.efficient_frontier(
        table, (current_total, plan["current_outcome"]["mean"]),
        (plan["total_budget"], plan["expected_outcome"]["mean"]), f"{ctx.kpi} over the reference window",
        ctx.currency_label,
    )
    uplift = plan["uplift"]
    if plan["prob_beats_current"] is None:
        headline = (f"<p>At today's budget ({ctx.money(plan['current_total'])}) the recommendation is to "
                    f"keep the current mix ({html.escape(plan['decision'])}).</p>")
    else:
        headline = (
            f"<p>At today's budget ({ctx.money(plan['current_total'])}) the recommended mix is expected to "
            f"change the outcome by {uplift['mean']:+,.0f} (90% interval {uplift['ci_90'][0]:+,.0f} to "
            f"{uplift['ci_90'][1]:+,.0f}; {plan['uplift_relative']:+.2%}), with a "
            f"{plan['prob_beats_current']:.0%} probability of beating the current plan.</p>"
        )
    body = (
        headline
        + "".join(f"<p class='small'>{html.escape(note)}</p>" for note in plan["notes"])
    )
    return Section("plan", "Frontier and recommended plan", guide,
                   (frontier_figure, figures.plan_vs_current(plan, ctx.currency_label)), body=body)


# --------------------------------------------------------------------------- rendering


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:18px 32px}header h1{margin:0 0 6px;font-size:22px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;font-size:14px}
header dt{opacity:.7}nav{padding:8px 32px;background:#eef1f4;font-size:14px}nav a{margin-right:14px}
main{max-width:1200px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:14px 20px;margin:18px 0}
section h2{margin:4px 0}.guide{color:#555;font-style:italic;margin:4px 0 10px}
table{border-collapse:collapse;font-size:14px;margin:8px 0}td,th{border-bottom:1px solid #e3e6ea;
padding:4px 10px;text-align:left}.small{font-size:13px;color:#555}.bad,.error{color:#b00020}
.warning{color:#8a5a00}.ok{color:#1b7f3b}.unavailable{background:#fff6e0;padding:10px;border-radius:6px}
.warnings{background:#fdecea;border:1px solid #f5c2c0;padding:10px 16px;border-radius:6px}
"""


def _render(report: Report) -> str:
    facts = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in report.facts.items())
    nav = "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in report.sections)
    warning_box = ""
    if report.warnings:
        warning_box = "<div class='warnings'><b>Warnings</b><ul>" + "".join(
            f"<li>{html.escape(w)}</li>" for w in report.warnings) + "</ul></div>"
    parts = []
    for section in report.sections:
        charts = "".join(
            pio.to_html(figure, include_plotlyjs=False, full_html=False, config=_PLOT_CONFIG,
                        div_id=f"chart-{section.key}-{i}")
            for i, figure in enumerate(section.figures)
        )
        missing = (f"<p class='unavailable'>{html.escape(section.unavailable)}</p>"
                   if section.unavailable else "")
        guide = f"<p class='guide'>How to read: {html.escape(section.guide)}</p>" if section.guide else ""
        parts.append(
            f"<section id='{section.key}' data-charts='{len(section.figures)}'>"
            f"<h2>{html.escape(section.title)}</h2>{guide}{missing}{section.body}{charts}</section>"
        )
    meta = json.dumps({"generator": "mixscope", "sections": [s.key for s in report.sections]})
    # Plotly's bundle goes in once, inline: the file must open with no network at all.
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(report.title)}</title><meta name='viewport' content='width=device-width'>"
        f"<script type='application/json' id='mixscope-meta'>{meta}</script>"
        f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(report.title)}</h1><dl>{facts}</dl></header><nav>{nav}</nav>"
        f"<main>{warning_box}{''.join(parts)}</main></body></html>"
    )
