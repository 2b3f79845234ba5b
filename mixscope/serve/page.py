"""The planner's single page: HTML, CSS and a small script over the JSON API.

Kept as one string (no template engine, no build step, no package data): the
page is a thin client, every number on it comes from ``/api/``. Element ids are
stable because the browser tests drive them; per-channel ones carry the
channel's index (``slider-0``), never its name.

Names are data. Channel, KPI and geo names, warnings and messages come from the
run (a CSV's column headers): the script puts them on the page only as text
nodes and attribute values set through the DOM, never as HTML. The page is
served with a Content-Security-Policy that runs only its own script (by nonce)
and Plotly's bundle, so even markup that slipped through could not run.
"""

from __future__ import annotations

import html

from mixscope.serve.page_curves import CURVES_SCRIPT
from mixscope.serve.page_inputs import INPUTS_CARD, INPUTS_SCRIPT
from mixscope.serve.page_money import MONEY_SCRIPT
from mixscope.serve.page_scenarios import SCENARIOS_CARD, SCENARIOS_SCRIPT

_PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>mixscope planner — __RUN__</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f2d3d;color:#fff;padding:12px 24px}header h1{font-size:20px;margin:0}
header .sub{font-size:13px;opacity:.8;margin-top:4px}
main{display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr);gap:16px;padding:16px 24px}
main>div{min-width:0}header,.warn,#narrative{overflow-wrap:anywhere}
/* Wide tables scroll inside their card, never the page. */
.scroll{overflow-x:auto;max-width:100%}
.card{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:2px 0 8px}table{border-collapse:collapse;width:100%;font-size:14px}
td,th{padding:4px 6px;border-bottom:1px solid #eef0f2;text-align:left;vertical-align:middle}
th{font-weight:600;color:#555;font-size:12px}.name{white-space:nowrap}input[type=range]{width:100%;min-width:90px}
input[type=number]{width:110px}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.big{font-size:28px;font-weight:600}.muted{color:#666;font-size:13px}.good{color:#1b7f3b}.bad{color:#b00020}
.row{display:flex;gap:14px;flex-wrap:wrap;align-items:center;margin:6px 0}
button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:7px 12px;cursor:pointer;
font-size:14px}
button.secondary{background:#e8ecf1;color:#222}button:disabled{opacity:.5;cursor:wait}
.warn{background:#fdecea;border:1px solid #f5c2c0;padding:8px 12px;border-radius:6px;margin:8px 24px 0}
#error{color:#b00020;min-height:1.2em;font-size:14px}.low{color:#b00020}.high{color:#1b7f3b}
input.money{width:120px;text-align:right}
/* A channel planned past the spend levels the data showed. */
.past-data input.money{border:2px solid #b26a00}.past-data input[type=range]{accent-color:#b26a00}
.extrap{color:#b26a00;font-size:12px}
/* Last, to override the rules above. One column below the width two columns need; tighter margins
   on a phone (from 360 px). */
@media (max-width:1100px){main{grid-template-columns:minmax(0,1fr)}}
@media (max-width:600px){header{padding:10px 12px}main{padding:10px 8px;gap:10px}
.card{padding:10px 10px}.warn{margin:8px 8px 0}
td,th{padding:4px 3px}input[type=number],input.money{width:100px}}
</style></head>
<body data-ready="0" data-evaluations="0">
<header><h1>mixscope planner — __RUN__</h1><div class="sub" id="run-info">loading…</div></header>
<div id="warnings"></div>
<main>
<div>
  <div class="card"><h2>Plan: spend per channel over the reference window</h2>
    <div class="scroll"><table id="channels"><thead><tr><th>channel</th><th style="width:38%">spend</th>
      <th class="num">amount</th>
      <th class="num">vs current</th><th class="num" title="return on the next unit of spend">mROI [90%]</th>
      <th title="keep at current spend when optimising">lock</th></tr></thead><tbody></tbody></table></div>
    <div class="row"><label>Total budget
      <input type="text" inputmode="decimal" class="money" id="total-budget"></label>
      <span class="muted" id="total-note"></span>
      <button class="secondary" id="btn-reset">Reset to current</button></div>
  </div>
__INPUTS_CARD__  <div class="card"><h2>Optimise</h2>
    <div class="row">
      <label title="follows the plan's total above; type another to optimise a different total">Budget
        <input type="text" inputmode="decimal" class="money" id="opt-budget"></label>
      <label>Max change ± <input type="number" id="opt-max-change" min="0" max="100" step="5" value="30"
        style="width:60px">%</label>
      <label><input type="checkbox" id="opt-trust" checked> stay within spend levels seen in the data</label>
    </div>
    <div class="row"><button id="btn-optimize">Optimise</button>
      <button class="secondary" id="btn-near-optimal">Show near-optimal alternatives</button></div>
    <div id="error" role="alert"></div>
    <div id="plan-summary" class="muted"></div>
    <div id="near-optimal"></div>
  </div>
__SCENARIOS_CARD__</div>
<div>
  <div class="card"><h2>Predicted outcome</h2>
    <div class="big" id="outcome-mean" data-value="">…</div>
    <div class="muted" id="outcome-draws"></div>
    <div class="muted" id="outcome-interval"></div>
    <table style="margin-top:8px"><tbody>
      <tr><td>current plan</td><td class="num" id="current-outcome"></td></tr>
      <tr><td>difference vs current</td><td class="num" id="difference"></td></tr>
      <tr><td>probability of beating the current plan</td><td class="num" id="prob-beats"></td></tr>
    </tbody></table>
    <div id="outcome-inputs"></div>
  </div>
  <div class="card"><h2>Efficient frontier</h2>
    <div class="muted">Best expected outcome at each total budget (band: 90% interval).
      Black dot: current plan; blue diamond: the plan above; orange star: the last optimised plan.</div>
    <div id="frontier-chart" style="height:380px"><p class="muted">computing the frontier…</p></div></div>
  <div class="card"><h2>Response curve</h2>
    <div class="row"><label>Channel <select id="curve-channel" aria-label="channel"></select></label></div>
    <div class="muted">The channel's outcome vs its spend over the reference window (band: 90% interval,
      every draw). Black dot: current spend; orange triangle and dotted line: the largest spend seen in
      the data; blue diamond: the plan above.</div>
    <div id="curve-chart" style="height:380px"><p class="muted">loading the curves…</p></div></div>
  <div class="card"><h2>Ask</h2>
    <div class="row"><input type="text" id="ask-question" maxlength="300" style="flex:1;min-width:260px"
      placeholder="what if we cut tv by 20% and move it to search?" aria-label="question">
      <button id="btn-ask">Ask</button></div>
    <div id="ask-answer" data-verified=""></div>
    <div id="ask-status" class="muted"></div>
  </div>
  <div class="card"><h2>About this run</h2><div id="narrative" class="muted">loading…</div>
    <div id="narrative-constraints" class="muted"></div></div>
</div>
</main>
<script nonce="__NONCE__">
"use strict";
const TOKEN = new URLSearchParams(location.search).get("token");
// Channels are addressed by index: state.spend[i] is channel state.names[i].
// allDraws: the next what-if asks for every draw (an optimised plan: its numbers are the optimiser's).
const state = {meta: null, names: [], index: new Map(), spend: [], seq: 0, shown: 0, frontier: null,
               timer: null, curves: null, allDraws: false};
const fmt = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
const f2 = new Intl.NumberFormat("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
// A sign only on what shows as non-zero once rounded: never "-0" or "+0".
const sign = shown => (+shown > 0 ? "+" : +shown < 0 ? "−" : "");
const signed = v => { const r = Math.round(v); return sign(r) + fmt.format(Math.abs(r)); };
const signedPct = (v, digits = 0) => {
  const shown = (100 * v).toFixed(digits);
  return sign(shown) + Math.abs(+shown).toFixed(digits) + "%";
};
const pct = v => (100 * v).toFixed(0);
const $ = id => document.getElementById(id);

// The only way this script makes elements: props are set as attributes (names fixed here, values may be
// data), children are nodes or strings, and a string becomes a text node, never markup.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  node.append(...children.map(child => child instanceof Node ? child : String(child)));
  return node;
}

// Plotly reads a few HTML-like tags (<b>, <a href>) in chart text: a name is escaped to show as typed.
const plotlyText = text => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

async function api(path, body, method = "POST") {
  const headers = {"Content-Type": "application/json"};
  if (TOKEN) headers["Authorization"] = "Bearer " + TOKEN;
  const response = await fetch(path, body === undefined ? {headers} :
    {method, headers, body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(data.detail) ? data.detail.map(d => d.msg).join("; ") : data.detail;
    throw new Error(detail || response.statusText);
  }
  return data;
}

function showError(error) { $("error").textContent = error ? String(error.message || error) : ""; }

// The plan as the API takes it; Object.fromEntries defines own keys, so any name (even "__proto__") is kept.
const planBody = () => Object.fromEntries(state.names.map((name, i) => [name, state.spend[i]]));
const total = () => state.spend.reduce((a, b) => a + b, 0);
// Within half a currency unit per channel: the amount boxes show whole units.
const isCurrentPlan = spend =>
  state.meta.channels.every(ch => Math.abs((spend[ch.name] ?? NaN) - ch.current) <= 0.5);

function buildChannels() {
  const body = document.querySelector("#channels tbody");
  state.meta.channels.forEach((ch, i) => {
    const top = Math.min(ch.max, Math.max(2 * ch.trust_limit, 2 * ch.current));
    const step = Math.max(1, Math.round(ch.current / 500));
    const slider = el("input", {type: "range", id: `slider-${i}`, min: 0, max: top, step,
                                "aria-label": `${ch.name} spend`});
    const box = el("input", {type: "text", inputmode: "decimal", class: "money", id: `spend-${i}`,
                             "aria-label": `${ch.name} amount`});
    slider.value = String(ch.current);
    box.value = money(ch.current);
    body.append(el("tr", {id: `row-${i}`, dataset: {channel: String(i)}},
      el("td", {class: "name"}, el("b", {}, ch.name),
         el("div", {class: "muted"}, `now ${money(ch.current)}`)),
      el("td", {}, slider, el("div", {class: "extrap", id: `extrap-${i}`})),
      el("td", {class: "num"}, box),
      el("td", {class: "num", id: `change-${i}`}, "0%"),
      el("td", {class: "num", id: `mroi-${i}`}),
      el("td", {}, el("input", {type: "checkbox", id: `lock-${i}`, "aria-label": `lock ${ch.name}`}))));
    state.spend[i] = ch.current;
    slider.addEventListener("input", () => setSpend(i, +slider.value, "slider"));
    box.addEventListener("change", () => {
      const value = parseMoney(box.value);
      if (value === null) {
        showError(`${ch.name}: '${box.value}' is not an amount (e.g. ${money(ch.current)})`);
        box.value = money(state.spend[i]);
      } else setSpend(i, value, "box");
    });
  });
}

function setSpend(i, value, source) {
  state.spend[i] = value;
  state.allDraws = false;  // an edit: the live draws answer it
  if (source !== "slider") $(`slider-${i}`).value = value;
  $(`spend-${i}`).value = money(value);  // a typed amount is shown back formatted
  schedule();
}

function setPlan(plan) {
  for (const [name, value] of Object.entries(plan)) {
    if (state.index.has(name)) setSpend(state.index.get(name), value, "plan");
  }
}

function schedule() {
  updateTotals();
  updateCurvePlan();
  clearTimeout(state.timer);
  state.timer = setTimeout(evaluate, 40);  // coalesce a slider drag into a few queries
}

function updateTotals() {
  const sum = total();
  if (document.activeElement !== $("total-budget")) $("total-budget").value = money(sum);
  // Optimise spends the total on screen: a slider edit moves its budget too, so it is never undone.
  if (document.activeElement !== $("opt-budget")) $("opt-budget").value = money(sum);
  const change = sum / state.meta.current_total - 1;
  $("total-note").textContent =
    `current ${money(state.meta.current_total)} (${signedPct(change, 1)})`;
  state.meta.channels.forEach((ch, i) => {
    const c = ch.current > 0 ? state.spend[i] / ch.current - 1 : 0;
    $(`change-${i}`).textContent = signedPct(c);
  });
}

async function evaluate() {
  const seq = ++state.seq;
  try {
    const result = await api("/api/evaluate",
      withInputs(state.allDraws ? {spend: planBody(), all_draws: true} : {spend: planBody()}));
    if (seq < state.shown) return;  // a newer answer is already on screen
    state.shown = seq;
    showError(null);
    render(result);
  } catch (error) { showError(error); }
}

function render(r) {
  const o = r.outcome, d = r.difference;
  $("outcome-mean").textContent = fmt.format(o.mean);
  $("outcome-mean").dataset.value = String(o.mean);
  $("outcome-mean").dataset.spend = JSON.stringify(r.spend);  // the plan this number belongs to
  $("outcome-draws").textContent = drawsNote(r.draws_used, r.draws_total);
  $("outcome-interval").textContent =
    `90% interval ${fmt.format(o.ci_90[0])} – ${fmt.format(o.ci_90[1])} · ${r.units.outcome}`;
  const b = r.baseline_plan_outcome;
  $("current-outcome").textContent =
    `${fmt.format(b.mean)} [${fmt.format(b.ci_90[0])}, ${fmt.format(b.ci_90[1])}]`;
  $("difference").textContent = `${signed(d.mean)} [${signed(d.ci_90[0])}, ${signed(d.ci_90[1])}]`;
  $("difference").className = "num " + (d.ci_90[0] > 0 ? "good" : d.ci_90[1] < 0 ? "bad" : "");
  // The current plan cannot beat itself (unless scenario inputs move it): a probability there would only
  // read as "0%".
  $("prob-beats").textContent = isCurrentPlan(r.spend) && !r.scenario_inputs ? "—" :
    pct(r.prob_beats_baseline_plan) + "%";
  state.names.forEach((name, i) => {
    const m = r.marginal_roi[name], cell = $(`mroi-${i}`);
    cell.textContent = `${f2.format(m.mean)} [${f2.format(m.ci_90[0])}, ${f2.format(m.ci_90[1])}]`;
    cell.className = "num " + (m.ci_90[1] < 1 ? "low" : m.ci_90[0] > 1 ? "high" : "");
    markExtrapolation(i, (r.extrapolation || {})[name]);
  });
  renderInputs(r);
  if (state.frontier) Plotly.restyle("frontier-chart", {x: [[r.total_spend]], y: [[o.mean]]}, [4]);
  document.body.dataset.evaluations = String(+document.body.dataset.evaluations + 1);
}

// "from 1,000 of 4,000 posterior draws": said next to every number a subset of draws answers.
const drawsNote = (used, every) => (used < every ? `from ${fmt.format(used)} of ` : "from all ") +
  `${fmt.format(every)} posterior draws`;

// A channel planned past the spend levels the data showed is marked on its input, with how far.
function markExtrapolation(i, figures) {
  const past = Boolean(figures) && figures.peak_ratio >= state.meta.extrapolation_note;
  $(`row-${i}`).classList.toggle("past-data", past);
  $(`extrap-${i}`).textContent = !past ? "" :
    `past the data: peak week ${figures.peak_ratio.toFixed(2)}× the largest seen` +
    (figures.share_beyond > 0 ? `, ${pct(figures.share_beyond)}% of weeks beyond it` : "");
}

function constraints() {
  const locked = state.names.filter((name, i) => $(`lock-${i}`).checked);
  const maxChange = $("opt-max-change").value, typed = $("opt-budget").value;
  const budget = typed.trim() === "" ? null : parseMoney(typed);
  if (budget === null && typed.trim() !== "") throw new Error(`Budget: '${typed}' is not an amount`);
  return {budget: budget || null, locked, trust_region: $("opt-trust").checked,
          max_change: maxChange === "" ? null : +maxChange / 100};
}

async function busy(button, work) {
  button.disabled = true; showError(null);
  try { await work(); } catch (error) { showError(error); } finally { button.disabled = false; }
}

async function runOptimize() {
  const plan = await api("/api/optimize", constraints());
  setPlan(plan.allocation);
  state.allDraws = true;  // the outcome panel then shows the optimiser's numbers for this plan
  const u = plan.uplift, summary = $("plan-summary");
  summary.replaceChildren("Recommended plan applied: expected outcome ",
    el("b", {id: "plan-outcome"}, fmt.format(plan.expected_outcome.mean)),
    ` (${drawsNote(state.meta.n_draws, state.meta.n_draws)})`,
    `, uplift ${signed(u.mean)} (90% ${signed(u.ci_90[0])} to ${signed(u.ci_90[1])}), probability of ` +
    "beating the current plan ",
    el("b", {}, plan.prob_beats_current === null ? "—" : pct(plan.prob_beats_current) + "%"),
    `. Decision: ${plan.decision}.`);
  for (const [name, reason] of Object.entries(plan.binding_constraints)) {
    summary.append(el("br"), `${name}: ${reason}`);
  }
  noteHeldInputs(plan, summary);
  summary.dataset.outcome = String(plan.expected_outcome.mean);
  if (state.frontier) Plotly.restyle("frontier-chart",
    {x: [[plan.total_budget]], y: [[plan.expected_outcome.mean]]}, [5]);
}

async function runNearOptimal() {
  const near = await api("/api/near-optimal", constraints());
  const names = state.names;
  const head = cells => el("thead", {}, el("tr", {}, ...cells));
  const ranges = el("table", {id: "near-ranges"},
    head([el("th", {}, "channel"), el("th", {class: "num"}, "spend range"),
          el("th", {class: "num"}, "share range")]),
    el("tbody", {}, ...names.map(name => {
      const r = near.ranges[name];
      return el("tr", {}, el("td", {}, name),
        el("td", {class: "num"}, `${fmt.format(r.spend_min)} – ${fmt.format(r.spend_max)}`),
        el("td", {class: "num"}, `${pct(r.share_min)}–${pct(r.share_max)}%`));
    })));
  const rows = near.alternatives.map((alt, i) => {
    const use = el("button", {class: "secondary use-alt", dataset: {index: String(i)}}, "use");
    use.addEventListener("click", () => setPlan(alt.allocation));
    return el("tr", {}, el("td", {}, i === 0 ? "best" : "#" + i),
      ...names.map(name => el("td", {class: "num"}, fmt.format(alt.allocation[name]))),
      el("td", {class: "num"}, (100 * alt.shortfall_vs_best).toFixed(2) + "%"), el("td", {}, use));
  });
  const alternatives = el("table", {id: "alternatives", style: "margin-top:8px"},
    head([el("th", {}, "plan"), ...names.map(name => el("th", {class: "num"}, name)),
          el("th", {class: "num"}, "below best"), el("th")]),
    el("tbody", {}, ...rows));
  const title = el("h2", {style: "margin-top:12px"}, `Within ${pct(near.tolerance)}% of the best`);
  $("near-optimal").replaceChildren(title,
    el("div", {class: "scroll"}, ranges), el("div", {class: "scroll"}, alternatives));
}

async function drawFrontier() {
  const data = await api("/api/frontier");
  const pts = data.points.filter(p => p.feasible);
  const x = pts.map(p => p.total_spend);
  const traces = [
    {x, y: pts.map(p => p.outcome_q95), mode: "lines", line: {width: 0}, showlegend: false,
     hoverinfo: "skip"},
    {x, y: pts.map(p => p.outcome_q05), mode: "lines", line: {width: 0}, fill: "tonexty",
     fillcolor: "rgba(0,114,178,0.2)", name: "90% interval"},
    {x, y: pts.map(p => p.outcome_mean), mode: "lines+markers", name: "best plan per budget",
     line: {color: "#0072B2"}, marker: {size: 5}},
    {x: [data.current.total_spend], y: [data.current.outcome_mean], mode: "markers", name: "current plan",
     marker: {size: 12, color: "#222"}},
    {x: [], y: [], mode: "markers", name: "this plan",
     marker: {size: 12, color: "#1f6feb", symbol: "diamond"}},
    {x: [], y: [], mode: "markers", name: "optimised", marker: {size: 14, color: "#D55E00", symbol: "star"}},
  ];
  const layout = {margin: {l: 70, r: 10, t: 10, b: 50}, template: "plotly_white",
    xaxis: {title: {text: "total spend over the reference window"}},
    yaxis: {title: {text: plotlyText(state.meta.kpi) + " (window + carryover)"}},
    legend: {orientation: "h", y: -0.25}};
  $("frontier-chart").replaceChildren();
  await Plotly.newPlot("frontier-chart", traces, layout, {displaylogo: false, responsive: true});
  state.frontier = data;
  const shown = $("outcome-mean").dataset.value;
  if (shown) Plotly.restyle("frontier-chart", {x: [[total()]], y: [[+shown]]}, [4]);
  $("frontier-chart").dataset.ready = "1";
}

async function loadNarrative() {
  const n = await api("/api/narrative");
  const box = $("narrative");
  if (!n.available) { box.textContent = "Narrative unavailable: " + n.reason; return; }
  const s = n.story;
  const items = [...(s.findings || []), ...(s.recommendations || [])];
  box.replaceChildren(el("p", {}, s.summary || ""),
    el("ul", {}, ...items.map(item => el("li", {}, item.text || String(item)))));
  if (n.plan_constraints) showNarrativeConstraints(n.plan_constraints);
}

function describeConstraints(c) {
  const parts = [c.budget === null ? "the current total" : `a total of ${money(c.budget)}`,
    c.max_change === null ? "no limit on each channel's change" :
      `each channel within ±${pct(c.max_change)}% of its current spend`,
    c.trust_region ? "within the spend levels seen in the data" : "spend levels past the data allowed"];
  if (c.locked.length) parts.push(`${c.locked.join(", ")} locked`);
  return parts.join(", ");
}

// The narrative's plan was optimised under its own constraints: name them, and offer them to Optimise.
function showNarrativeConstraints(c) {
  const use = el("button", {class: "secondary", id: "btn-narrative-constraints"}, "Use these in Optimise");
  use.addEventListener("click", () => {
    $("opt-budget").value = money(c.budget);
    $("opt-max-change").value = c.max_change === null ? "" : String(Math.round(100 * c.max_change));
    $("opt-trust").checked = c.trust_region;
    state.names.forEach((name, i) => { $(`lock-${i}`).checked = c.locked.includes(name); });
  });
  $("narrative-constraints").replaceChildren(
    el("span", {id: "narrative-constraints-text"},
       `The plan recommended here is optimised at ${describeConstraints(c)}; the Optimise box has its own ` +
       "settings. "), use);
}

// The answer is text from the server; the question is the user's text: both go in as text nodes only.
async function runAsk() {
  const question = $("ask-question").value.trim();
  if (!question) return;
  const a = await api("/api/ask", {question});
  $("ask-answer").textContent = a.answer;
  $("ask-answer").dataset.verified = String(a.verified);
  const status = a.verified === true ? "numbers verified against the surface" :
    a.verified === false ? "numbers NOT verified" : "nothing to verify";
  $("ask-status").textContent = `read by the ${a.backend} reader as ${JSON.stringify(a.request)} · ${status}`;
}

function onTotal() {
  const target = parseMoney($("total-budget").value), sum = total();
  if (target === null) { showError(`Total budget: '${$("total-budget").value}' is not an amount`); return; }
  if (!(target >= 0) || sum <= 0) return;
  // A new total keeps the mix: every channel scales by the same factor.
  state.spend.forEach((value, i) => setSpend(i, value * target / sum, "plan"));
}

__FRAGMENTS__
async function main() {
  try {
    state.meta = await api("/api/meta");
  } catch (error) { showError(error); $("run-info").textContent = String(error.message); return; }
  const m = state.meta, ref = m.reference;
  state.names = m.channels.map(ch => ch.name);
  state.index = new Map(state.names.map((name, i) => [name, i]));
  $("run-info").textContent =
    `KPI ${m.kpi} · reference window ${ref.start} … ${ref.end} (${ref.periods} periods)` +
    ` · ${m.n_draws} posterior draws` +
    (m.live_draws < m.n_draws ? ` (what-if answers use a fixed subset of ${m.live_draws})` : "") +
    ` · diagnostics ${m.diagnostics_ok ? "ok" : "FAILED"}`;
  if (m.warnings.length) {
    $("warnings").replaceChildren(el("div", {class: "warn"}, ...m.warnings.map(w => el("div", {}, w))));
  }
  buildChannels();
  buildInputs();
  $("total-budget").addEventListener("change", onTotal);
  $("btn-reset").addEventListener("click",
    () => m.channels.forEach((ch, i) => setSpend(i, ch.current, "plan")));
  $("btn-optimize").addEventListener("click", e => busy(e.target, runOptimize));
  $("btn-near-optimal").addEventListener("click", e => busy(e.target, runNearOptimal));
  $("btn-ask").addEventListener("click", e => busy(e.target, runAsk));
  $("ask-question").addEventListener("keydown", e => { if (e.key === "Enter") $("btn-ask").click(); });
  updateTotals();
  await evaluate();
  document.body.dataset.ready = "1";
  drawFrontier().catch(showError);
  loadCurves().catch(showError);
  loadNarrative().catch(error => { $("narrative").textContent = "Narrative unavailable: " + error.message; });
}
__SCENARIOS_SCRIPT__
const plotlyScript = document.createElement("script");
plotlyScript.src = "/static/plotly.min.js";
plotlyScript.onload = main;
plotlyScript.onerror = () => showError("Could not load /static/plotly.min.js");
document.head.appendChild(plotlyScript);
</script></body></html>
"""


def render_page(run_name: str, nonce: str) -> str:
    """The page for one run: its name (escaped) is the only server-side value in it; ``nonce`` lets
    its script run under :func:`page_headers`' policy."""
    page = _PAGE.replace("__FRAGMENTS__", MONEY_SCRIPT + CURVES_SCRIPT + INPUTS_SCRIPT)
    page = page.replace("__INPUTS_CARD__", INPUTS_CARD)
    page = page.replace("__SCENARIOS_CARD__", SCENARIOS_CARD)
    page = page.replace("__SCENARIOS_SCRIPT__", SCENARIOS_SCRIPT)
    return page.replace("__RUN__", html.escape(run_name)).replace("__NONCE__", nonce)


def page_headers(nonce: str) -> dict[str, str]:
    """Headers for the page: scripts only from this server or with this response's nonce (so no
    injected handler or tag runs), no framing by other sites, no token leaked in a Referer."""
    policy = (
        f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; "
        # Plotly sets inline styles on what it draws.
        "style-src 'self' 'unsafe-inline'; font-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
