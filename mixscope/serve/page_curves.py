"""The planner page's response-curve card: one channel's outcome vs spend, and where the plan sits on it.

A script fragment of the page (:mod:`mixscope.serve.page`), in its script's scope (``state``, ``api``,
``el``, ``$``). The curves come once from ``/api/curves`` (every draw, see
:mod:`mixscope.serve.curves`); the planned point follows the plan on screen, read off the mean curve
by linear interpolation as the surface reads it, so no request runs per slider move.
"""

from __future__ import annotations

CURVES_SCRIPT = r"""
// Trace order on the chart: band top, band bottom, mean, current, largest seen, planned.
const PLANNED_TRACE = 5;

async function loadCurves() {
  const data = await api("/api/curves");
  state.curves = new Map(data.channels.map(curve => [curve.name, curve]));
  const select = $("curve-channel");
  select.replaceChildren(...state.names.map((name, i) => el("option", {value: String(i)}, name)));
  select.addEventListener("change", () => drawCurve().catch(showError));
  await drawCurve();
}

// Linear interpolation on an increasing grid, clamped at its ends (ResponseCurves reads draws so).
function interpolate(x, xs, ys) {
  let low = 0, high = xs.length - 1;
  if (x <= xs[low]) return ys[low];
  if (x >= xs[high]) return ys[high];
  while (high - low > 1) { const mid = (low + high) >> 1; if (xs[mid] <= x) low = mid; else high = mid; }
  return ys[low] + (ys[high] - ys[low]) * (x - xs[low]) / (xs[high] - xs[low]);
}

function plannedPoint(i) {
  const curve = state.curves.get(state.names[i]), spend = state.spend[i];
  return {spend, outcome: interpolate(spend, curve.spend, curve.mean)};
}

// The curves run to the surface's largest budget, far past any plan: show up to the slider's end (or the
// plan, when typed past it), the band's height within that.
function curveRanges(i, curve) {
  const right = 1.05 * Math.max(+$(`slider-${i}`).max, state.spend[i], curve.observed_max?.spend ?? 0);
  const top = Math.max(...curve.q95.filter((_, k) => curve.spend[k] <= right));
  return {x: [0, Math.min(right, curve.spend[curve.spend.length - 1])], y: [0, 1.05 * top]};
}

async function drawCurve() {
  const i = +$("curve-channel").value, curve = state.curves.get(state.names[i]), chart = $("curve-chart");
  const ranges = curveRanges(i, curve);
  const marker = (point, name, style) =>
    ({x: point ? [point.spend] : [], y: point ? [point.outcome] : [], mode: "markers", name, marker: style});
  const traces = [
    {x: curve.spend, y: curve.q95, mode: "lines", line: {width: 0}, showlegend: false, hoverinfo: "skip"},
    {x: curve.spend, y: curve.q05, mode: "lines", line: {width: 0}, fill: "tonexty",
     fillcolor: "rgba(0,114,178,0.2)", name: "90% interval"},
    {x: curve.spend, y: curve.mean, mode: "lines", name: "expected", line: {color: "#0072B2"}},
    marker(curve.current, "current spend", {size: 11, color: "#222"}),
    marker(curve.observed_max, "largest spend seen", {size: 12, color: "#D55E00", symbol: "triangle-up"}),
    marker(plannedPoint(i), "planned", {size: 12, color: "#1f6feb", symbol: "diamond"}),
  ];
  const seen = curve.observed_max;
  const shapes = seen ? [{type: "line", x0: seen.spend, x1: seen.spend, yref: "paper", y0: 0, y1: 1,
                          line: {color: "#D55E00", width: 1, dash: "dot"}}] : [];
  const currency = state.meta.currency ? ` (${plotlyText(state.meta.currency)})` : "";
  const layout = {margin: {l: 70, r: 10, t: 10, b: 50}, template: "plotly_white", shapes,
    xaxis: {title: {text: `spend over the reference window${currency}`}, range: ranges.x},
    yaxis: {title: {text: `${plotlyText(state.meta.kpi)} from ${plotlyText(curve.name)}`}, range: ranges.y},
    legend: {orientation: "h", y: -0.32}};
  chart.dataset.ready = "0";
  chart.replaceChildren();
  await Plotly.newPlot(chart, traces, layout, {displaylogo: false, responsive: true});
  chart.dataset.channel = String(i);
  chart.dataset.right = String(ranges.x[1]);
  chart.dataset.ready = "1";
}

// The planned point follows the plan on screen (called on every spend change).
function updateCurvePlan() {
  const chart = $("curve-chart");
  if (!state.curves || chart.dataset.ready !== "1") return;
  const point = plannedPoint(+chart.dataset.channel);
  if (point.spend > +chart.dataset.right) drawCurve().catch(showError);  // typed past the chart's end
  else Plotly.restyle(chart, {x: [[point.spend]], y: [[point.outcome]]}, [PLANNED_TRACE]);
}
"""
