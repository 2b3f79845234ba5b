"""One function per report chart: plain inputs (frames, dicts, arrays) in, a Plotly figure out.

Figures carry their title and axis units; the reading guide under each chart
lives with the section in :mod:`mixscope.report.html`. Nothing here reads files,
so the same functions serve the report, the tests and anyone in a notebook.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mixscope import metrics
from mixscope.report.baseline import BaselineComponent, non_media_terms
from mixscope.report.ticks import round_axis
from mixscope.transforms.registry import DELAYED, GEOMETRIC

# Qualitative palette (colour-blind friendly, Okabe-Ito); the same channel keeps its colour in every chart.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
BASELINE_COLOUR = "#BBBBBB"
BASELINE_SHADES = ("#BBBBBB", "#8C8C8C", "#D9CBB0", "#A89F91", "#CFCFCF", "#77706A")  # baseline's components
BASELINE_PREFIX = "baseline: "  # decomposition's columns of the baseline's components
BEYOND_DATA_COLOUR = "#DDDDDD"  # response curves: spend past the largest weekly media level seen
BREAK_EVEN_MARGIN = 120  # px right of the ROI chart: room for the break-even label beside the plot
_LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 70, "r": 30, "t": 60, "b": 60},
           "legend": {"orientation": "h", "y": -0.2}}


def channel_colours(channels: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(channels)}


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _layout(figure: go.Figure, title: str, x: str, y: str, **extra: Any) -> go.Figure:
    figure.update_layout(title={"text": title, "x": 0.01}, xaxis_title=x, yaxis_title=y, **(_LAYOUT | extra))
    return figure


# --------------------------------------------------------------------------- data


def data_overview(
    dates: pd.Series, kpi: pd.Series, spend: pd.DataFrame, kpi_label: str, currency: str = "currency"
) -> go.Figure:
    """Spend per channel (stacked bars) and the KPI (line, right axis) per period."""
    colours = channel_colours(list(spend.columns))
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for name in spend.columns:
        figure.add_trace(go.Bar(x=dates, y=spend[name], name=f"{name} spend", marker_color=colours[name]))
    figure.add_trace(
        go.Scatter(x=dates, y=kpi, name=kpi_label, mode="lines", line={"color": "#222222", "width": 2}),
        secondary_y=True,
    )
    figure.update_layout(barmode="stack", bargap=0)
    # Round ticks on both axes: left to itself Plotly lines the right axis's ticks up with the left's.
    spend_axis = round_axis(0.0, float(np.nanmax(spend.sum(axis=1), initial=0.0)))
    kpi_axis = round_axis(float(np.nanmin(kpi)), float(np.nanmax(kpi)))
    figure.update_yaxes(title_text=f"spend per period ({currency})", secondary_y=False,
                        **spend_axis.layout())
    figure.update_yaxes(title_text=f"{kpi_label} per period", secondary_y=True, showgrid=False,
                        **kpi_axis.layout())
    return _layout(figure, "Spend by channel and KPI over time", "period", f"spend per period ({currency})")


# --------------------------------------------------------------------------- fit


def fit_over_time(predictions: pd.DataFrame, kpi_label: str) -> go.Figure:
    """Actual vs predicted (mean and 90% interval) summed over geos; holdout periods shaded."""
    by_date = predictions.groupby("date", sort=True)
    frame = by_date[["actual", "expected_mean", "expected_lo", "expected_hi"]].sum().reset_index()
    holdout = by_date["holdout"].any().to_numpy()
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame["date"], y=frame["expected_hi"], mode="lines", line={"width": 0},
                                showlegend=False, hoverinfo="skip"))
    figure.add_trace(go.Scatter(
        x=frame["date"], y=frame["expected_lo"], mode="lines", line={"width": 0}, fill="tonexty",
        fillcolor=_rgba(PALETTE[0], 0.2), name="90% interval",
    ))
    figure.add_trace(go.Scatter(x=frame["date"], y=frame["expected_mean"], mode="lines",
                                name="predicted (mean)", line={"color": PALETTE[0], "width": 2}))
    figure.add_trace(go.Scatter(x=frame["date"], y=frame["actual"], mode="markers", name="actual",
                                marker={"color": "#222222", "size": 4}))
    if holdout.any():
        dates = frame["date"].to_numpy()
        figure.add_vrect(x0=dates[holdout][0], x1=dates[holdout][-1], fillcolor="#D55E00", opacity=0.12,
                         line_width=0, annotation_text="holdout (not fitted)", annotation_position="top left")
    return _layout(figure, "Model fit: actual vs predicted", "period", f"{kpi_label} per period")


# --------------------------------------------------------------------------- contributions


def decomposition(
    predictions: pd.DataFrame, channels: Sequence[str], baseline_parts: Sequence[BaselineComponent] = (),
) -> pd.DataFrame:
    """Per period, summed over geos: ``date``, the baseline and each channel's contribution (posterior
    means), in that order; the columns add up to the predicted KPI. Then, given the baseline's
    components (:func:`mixscope.report.baseline.baseline_components`), one ``baseline: NAME`` column
    each: they add up to the baseline. The chart and the export read this."""
    columns = {"baseline_mean": "baseline", **{f"contribution_{name}": name for name in channels}}
    terms = non_media_terms(predictions)
    split = {f"_part_{k}": f"{BASELINE_PREFIX}{part.name}" for k, part in enumerate(baseline_parts)}
    rows = predictions.assign(**{key: part.values.ravel() for key, part in zip(split, baseline_parts,
                                                                               strict=True)})
    frame = rows.groupby("date", sort=True)[[*columns, *terms, *split]].sum().reset_index()
    # Holidays, events and treatments are in the model's baseline; shown as their own terms, after the
    # channels, and the baseline's components add up to what is left.
    frame["baseline_mean"] -= frame[list(terms)].sum(axis=1)
    return frame.rename(columns=columns | terms | split)


def contribution_over_time(
    predictions: pd.DataFrame, channels: Sequence[str], kpi_label: str,
    baseline_parts: Sequence[BaselineComponent] = (),
) -> go.Figure:
    """Stacked areas: the baseline (or, given, each of its components) plus each channel's contribution
    (posterior means) per period."""
    frame = decomposition(predictions, channels, baseline_parts)
    dates = frame.iloc[:, 0]  # by position here and below: a channel may be named "baseline" or "date"
    colours = channel_colours(channels)
    figure = go.Figure()
    terms = range(2 + len(channels), 2 + len(channels) + len(non_media_terms(predictions)))
    base = [("baseline", 1)] if not baseline_parts else [
        (part.name, terms.stop + k) for k, part in enumerate(baseline_parts)]
    for k, (name, column) in enumerate(base):
        shade = BASELINE_SHADES[k % len(BASELINE_SHADES)] if baseline_parts else BASELINE_COLOUR
        figure.add_trace(go.Scatter(x=dates, y=frame.iloc[:, column], name=name, stackgroup="kpi",
                                    mode="lines", line={"width": 0.5, "color": shade}))
    for c, name in enumerate(channels):
        figure.add_trace(go.Scatter(x=dates, y=frame.iloc[:, 2 + c], name=name,
                                    stackgroup="kpi", mode="lines",
                                    line={"width": 0.5, "color": colours[name]}))
    for position in terms:  # holidays, events, treatments
        figure.add_trace(go.Scatter(x=dates, y=frame.iloc[:, position], name=frame.columns[position],
                                    stackgroup="kpi", mode="lines", line={"width": 0.5}))
    return _layout(figure, "Contribution to the KPI over time", "period", f"{kpi_label} per period")


def contribution_shares(
    shares: Mapping[str, Mapping[str, Any]], baseline: Mapping[str, Any] | None
) -> go.Figure:
    """Share of the KPI from the baseline and each channel, mean with 90% interval."""
    names = list(shares)
    rows = ([("baseline", baseline)] if baseline else []) + [(name, shares[name]) for name in names]
    colours = channel_colours(names) | {"baseline": BASELINE_COLOUR}
    mean = np.array([row["mean"] for _, row in rows]) * 100
    low = np.array([row["ci_90"][0] for _, row in rows]) * 100
    high = np.array([row["ci_90"][1] for _, row in rows]) * 100
    names = [name for name, _ in rows]
    # The share is written under each bar, with its source, not above it where the whisker runs.
    figure = go.Figure(go.Bar(
        x=names, y=mean, marker_color=[colours[name] for name, _ in rows],
        error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low},
        textposition="none", name="share", customdata=np.column_stack([low, high]),
        hovertemplate="%{x}: %{y:.1f}% (90% interval %{customdata[0]:.1f}% to %{customdata[1]:.1f}%)"
                      "<extra></extra>",
    ))
    labels = [f"{name}<br><b>{value:.1f}%</b>" for name, value in zip(names, mean, strict=True)]
    figure.update_xaxes(tickmode="array", tickvals=names, ticktext=labels)
    return _layout(figure, "Share of the KPI by source (mean, 90% interval)", "source", "share of KPI (%)",
                   showlegend=False)


# --------------------------------------------------------------------------- ROI


def roi_mroi(
    roi: Mapping[str, Mapping[str, Any]], mroi: Mapping[str, Mapping[str, Any]], roi_units: str,
    break_even: bool, prior_driven: Collection[str] = (),
) -> go.Figure:
    """ROI and marginal ROI per channel with 90% intervals; a break-even line when in revenue.

    Channels in ``prior_driven`` are labelled with a ``*`` (their ROI is mostly the prior's).
    """
    channels = list(roi)
    labels = [f"{name} *" if name in prior_driven else name for name in channels]
    figure = go.Figure()
    series = (("ROI", roi, PALETTE[0]), ("marginal ROI (next unit of spend)", mroi, PALETTE[1]))
    for label, values, colour in series:
        mean = np.array([values[name]["mean"] for name in channels])
        low = np.array([values[name]["ci_90"][0] for name in channels])
        high = np.array([values[name]["ci_90"][1] for name in channels])
        figure.add_trace(go.Bar(
            x=labels, y=mean, name=label, marker_color=colour,
            error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low},
        ))
    extra: dict[str, Any] = {}
    if break_even:
        figure.add_hline(y=1.0, line_dash="dash", line_color="#444444")
        # Labelled in the right margin, past the plot's edge: no bar or whisker reaches there.
        figure.add_annotation(text="break-even (1.0)", x=1.0, xref="paper", xanchor="left", y=1.0, yref="y",
                              yanchor="middle", showarrow=False, font={"color": "#444444"})
        extra["margin"] = _LAYOUT["margin"] | {"r": BREAK_EVEN_MARGIN}
    figure.update_layout(barmode="group")
    return _layout(figure, "Return on investment per channel (mean, 90% interval)", "channel", roi_units,
                   **extra)


# --------------------------------------------------------------------------- response curves


def curve_band(response: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(draw, point)`` → mean, 5% and 95% quantiles per point: a curve and its 90% band."""
    low, high = np.quantile(response, [0.05, 0.95], axis=0)
    return response.mean(axis=0), low, high


def response_curves(
    channels: Sequence[str], spend_grid: np.ndarray, response: np.ndarray, current: np.ndarray,
    outcome_label: str, revenue: np.ndarray | None = None, threshold: float = 1.0,
    currency: str = "currency", max_multiple: float = 3.0,
    observed: Sequence[float | None] | None = None,
) -> go.Figure:
    """One panel per channel: incremental outcome vs window spend (mean, 90% band).

    Where ``observed`` gives a channel's edge of the data
    (:func:`mixscope.surface.support.observed_max_spend`), the spend past it is
    shaded: there the curve is the model's extrapolation, not something the data showed.

    Args:
        spend_grid: ``(channel, point)`` spend levels.
        response: ``(draw, channel, point)`` incremental outcome per draw.
        current: ``(channel,)`` current (reference-window) spend.
        revenue: ``(draw, channel, point)`` the same in revenue, for the break-even spend
            (:func:`mixscope.metrics.break_even_spend`: where the marginal revenue per unit of
            spend falls below ``threshold`` for good); defaults to ``response``.
    """
    revenue = response if revenue is None else revenue
    colours = channel_colours(channels)
    columns = min(len(channels), 3)
    rows = int(np.ceil(len(channels) / columns))
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=list(channels),
                           horizontal_spacing=0.08, vertical_spacing=0.16)
    shaded = False
    for c, name in enumerate(channels):
        row, col = c // columns + 1, c % columns + 1
        keep = spend_grid[c] <= max(current[c], 1e-9) * max_multiple
        grid = spend_grid[c][keep]
        mean, low, high = curve_band(response[:, c, keep])
        colour = colours[name]
        figure.add_trace(go.Scatter(x=grid, y=high, mode="lines", line={"width": 0}, showlegend=False,
                                    hoverinfo="skip"), row=row, col=col)
        figure.add_trace(go.Scatter(x=grid, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                    fillcolor=_rgba(colour, 0.2), name="90% interval", showlegend=c == 0,
                                    legendgroup="band"), row=row, col=col)
        figure.add_trace(go.Scatter(x=grid, y=mean, mode="lines", line={"color": colour, "width": 2},
                                    name="expected", showlegend=c == 0, legendgroup="mean"), row=row, col=col)
        at_current = float(np.interp(current[c], spend_grid[c], response[:, c].mean(axis=0)))
        figure.add_trace(go.Scatter(
            x=[current[c]], y=[at_current], mode="markers", name="current spend", showlegend=c == 0,
            legendgroup="current", marker={"symbol": "circle", "size": 10, "color": "#222222"},
        ), row=row, col=col)
        break_even = metrics.break_even_spend(spend_grid[c], revenue[:, c].mean(axis=0), threshold)
        if break_even is not None and break_even <= grid[-1]:
            figure.add_trace(go.Scatter(
                x=[break_even], y=[float(np.interp(break_even, grid, mean))], mode="markers",
                name=f"break-even spend (marginal return {threshold:g})", showlegend=c == 0,
                legendgroup="break_even",
                marker={"symbol": "x", "size": 11, "color": "#D55E00"},
            ), row=row, col=col)
        edge = None if observed is None else observed[c]
        if edge is not None and edge < grid[-1]:
            figure.add_vrect(x0=edge, x1=float(grid[-1]), fillcolor=BEYOND_DATA_COLOUR, opacity=0.35,
                             line_width=0, layer="below", row=row, col=col)
            figure.add_vline(x=edge, line_dash="dot", line_color="#555555", row=row, col=col)
            if not shaded:
                figure.add_trace(go.Scatter(  # shapes have no legend entry: this one names the shading
                    x=[None], y=[None], mode="markers", name="past the largest weekly media level seen",
                    marker={"symbol": "square", "size": 12, "color": BEYOND_DATA_COLOUR},
                    legendgroup="beyond",
                ), row=row, col=col)
                shaded = True
        figure.update_xaxes(title_text=f"spend ({currency})", row=row, col=col)
        if col == 1:
            figure.update_yaxes(title_text=f"incremental {outcome_label}", row=row, col=col)
    return _layout(figure, "Response curves: incremental outcome vs spend over the reference window",
                   f"spend ({currency})", f"incremental {outcome_label}", height=330 * rows)


# --------------------------------------------------------------------------- adstock


def adstock_weights(decay: np.ndarray, max_lag: int, peak: np.ndarray | None = None) -> np.ndarray:
    """``(draw,)`` decay (and delayed peak) → ``(draw, lag)`` normalised weights (the model's, in NumPy)."""
    if peak is None:
        return GEOMETRIC.numpy_weights(decay, max_lag)
    return DELAYED.numpy_weights(decay, peak, max_lag)


def adstock_decay(weights: Mapping[str, np.ndarray]) -> go.Figure:
    """Share of a period's media effect landing 0, 1, 2, … periods later, per channel (median, 90%)."""
    channels = list(weights)
    colours = channel_colours(channels)
    figure = go.Figure()
    for name in channels:
        draws = weights[name] * 100
        lags = np.arange(draws.shape[1])
        median = np.median(draws, axis=0)
        low, high = np.quantile(draws, [0.05, 0.95], axis=0)
        figure.add_trace(go.Scatter(
            x=lags, y=median, mode="lines+markers", name=name, line={"color": colours[name]},
            error_y={"type": "data", "symmetric": False, "array": high - median, "arrayminus": median - low,
                     "thickness": 1},
        ))
    return _layout(figure, "Adstock: how a period's media effect spreads over later periods",
                   "lag (periods after the spend)", "share of the total effect (%)")


# --------------------------------------------------------------------------- diagnostics


def roi_prior_posterior(
    posterior: Mapping[str, np.ndarray], priors: Mapping[str, Mapping[str, float]], roi_units: str
) -> go.Figure:
    """Per channel: LogNormal prior density vs the posterior's histogram of ROI."""
    channels = list(posterior)
    colours = channel_colours(channels)
    columns = min(len(channels), 3)
    rows = int(np.ceil(len(channels) / columns))
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=channels,
                           horizontal_spacing=0.08, vertical_spacing=0.18)
    for c, name in enumerate(channels):
        row, col = c // columns + 1, c % columns + 1
        draws = np.asarray(posterior[name], dtype=float)
        prior = priors.get(name)
        upper = float(np.quantile(draws, 0.995))
        if prior:
            mu, sigma = prior["lognormal_mu"], prior["lognormal_sigma"]
            upper = max(upper, float(np.exp(mu + 1.645 * sigma)))
            grid = np.linspace(1e-3, upper, 200)
            log_grid = np.log(grid)
            density = np.exp(-((log_grid - mu) ** 2) / (2 * sigma**2)) / (grid * sigma * np.sqrt(2 * np.pi))
            figure.add_trace(go.Scatter(x=grid, y=density, mode="lines", name="prior", showlegend=c == 0,
                                        legendgroup="prior", line={"color": "#444444", "dash": "dash"}),
                             row=row, col=col)
        figure.add_trace(go.Histogram(
            x=draws[draws <= upper], histnorm="probability density", name="posterior", showlegend=c == 0,
            legendgroup="posterior", marker_color=_rgba(colours[name], 0.6), nbinsx=40,
        ), row=row, col=col)
        figure.update_xaxes(title_text=roi_units if row == rows else None, row=row, col=col)
        if col == 1:
            figure.update_yaxes(title_text="density", row=row, col=col)
    return _layout(figure, "ROI: prior (dashed) vs posterior (histogram)", roi_units, "density",
                   height=300 * rows, barmode="overlay")


def convergence(rhat: Mapping[str, float], ess: Mapping[str, float]) -> go.Figure:
    """R-hat and bulk ESS per parameter, with the thresholds the fit is judged by."""
    names = list(rhat)
    figure = make_subplots(rows=1, cols=2, subplot_titles=("R-hat (≤ 1.01)", "bulk ESS (≥ 400)"))
    figure.add_trace(go.Bar(x=names, y=[rhat[n] for n in names], marker_color=PALETTE[0], name="R-hat"),
                     row=1, col=1)
    figure.add_trace(go.Bar(x=names, y=[ess[n] for n in names], marker_color=PALETTE[2], name="bulk ESS"),
                     row=1, col=2)
    figure.add_hline(y=1.01, line_dash="dash", line_color="#D55E00", row=1, col=1)
    figure.add_hline(y=400, line_dash="dash", line_color="#D55E00", row=1, col=2)
    low = min(0.995, min(rhat.values(), default=1.0))
    figure.update_yaxes(range=[low, max(1.02, max(rhat.values(), default=1.0) + 0.002)], title_text="R-hat",
                        row=1, col=1)
    figure.update_yaxes(title_text="effective draws", row=1, col=2)
    figure.update_xaxes(title_text="parameter (worst element)", row=1, col=1)
    figure.update_xaxes(title_text="parameter (worst element)", row=1, col=2)
    return _layout(figure, "Sampler convergence per parameter", "parameter", "R-hat", showlegend=False)


# --------------------------------------------------------------------------- planning


def efficient_frontier(
    table: pd.DataFrame, current: tuple[float, float], recommended: tuple[float, float] | None,
    outcome_label: str, currency: str = "currency",
) -> go.Figure:
    """Best expected outcome per total budget (90% band), with the current and recommended plans."""
    feasible = table[table["feasible"]]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=feasible["total_spend"], y=feasible["outcome_q95"], mode="lines",
                                line={"width": 0}, showlegend=False, hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=feasible["total_spend"], y=feasible["outcome_q05"], mode="lines",
                                line={"width": 0}, fill="tonexty", fillcolor=_rgba(PALETTE[0], 0.2),
                                name="90% interval"))
    figure.add_trace(go.Scatter(x=feasible["total_spend"], y=feasible["outcome_mean"], mode="lines+markers",
                                name="best plan at each budget", line={"color": PALETTE[0], "width": 2},
                                marker={"size": 5}))
    figure.add_trace(go.Scatter(x=[current[0]], y=[current[1]], mode="markers", name="current plan",
                                marker={"size": 13, "color": "#222222", "symbol": "circle"}))
    if recommended is not None:
        figure.add_trace(go.Scatter(x=[recommended[0]], y=[recommended[1]], mode="markers",
                                    name="recommended plan", marker={"size": 14, "color": "#D55E00",
                                                                     "symbol": "star"}))
    crossing = table[table.get("crosses_target", pd.Series(False, index=table.index)).astype(bool)]
    if len(crossing):
        figure.add_vline(x=float(crossing["total_spend"].iloc[0]), line_dash="dot", line_color="#444444",
                         annotation_text="marginal ROI < 1 beyond here")
    return _layout(figure, "Efficient frontier: best expected outcome per total budget",
                   f"total spend over the reference window ({currency})", outcome_label)


def plan_vs_current(plan: Mapping[str, Any], currency: str = "currency") -> go.Figure:
    """Current vs recommended spend per channel; whiskers span the near-optimal range."""
    channels = list(plan["allocation"])
    current = np.array([plan["current"][name] for name in channels])
    recommended = np.array([plan["allocation"][name] for name in channels])
    figure = go.Figure()
    figure.add_trace(go.Bar(x=channels, y=current, name="current", marker_color=BASELINE_COLOUR))
    ranges = plan.get("near_optimal_ranges") or {}
    error = None
    if ranges:
        low = np.array([ranges[name]["spend_min"] for name in channels])
        high = np.array([ranges[name]["spend_max"] for name in channels])
        error = {"type": "data", "symmetric": False, "array": high - recommended,
                 "arrayminus": recommended - low, "color": "#222222"}
    figure.add_trace(go.Bar(x=channels, y=recommended, name="recommended (whiskers: near-optimal range)",
                            marker_color="#D55E00", error_y=error))
    figure.update_layout(barmode="group")
    return _layout(figure, "Recommended plan vs current, with near-optimal ranges", "channel",
                   f"spend over the reference window ({currency})")
