"""The planner page's "Scenario inputs (not budget)" card: organic media volumes and treatment levels.

Two pieces :func:`mixscope.serve.page.render_page` puts into the page: the card's HTML and a script
fragment in the page's script scope (``state``, ``api``, ``el``, ``$``, ``schedule``, ``signed``). The
card shows only for a run whose ``/api/meta`` lists scenario inputs (organic channels, treatments);
otherwise the script removes it. An input away from the window as it was is sent with every what-if
(``/api/evaluate``'s ``organic`` and ``treatments``, :mod:`mixscope.surface.scenario_inputs`); one left
as it was is not sent, so with every input reset the answer is the plain plan's. Organic and treatment
names are the run's column headers: text nodes only. Per-input element ids carry the input's position
(``organic-0``, ``treatment-0``), never its name.
"""

from __future__ import annotations

INPUTS_CARD = """  <div class="card" id="scenario-inputs"><h2>Scenario inputs (not budget)</h2>
    <style>#scenario-inputs .name{white-space:normal;overflow-wrap:anywhere;max-width:14em}
    #outcome-inputs .name{white-space:normal;overflow-wrap:anywhere}
    #scenario-inputs input.level{width:90px;text-align:right}
    .outside-data input.level{border:2px solid #b26a00}.inputs-warn{margin:6px 0 0}</style>
    <div class="muted">Organic media and treatments are not spend: setting them moves the outcome through
      the baseline, and paid contributions and ROI stay as they are. Optimise and the near-optimal plans
      hold them as the reference window had them.</div>
    <div class="scroll"><table id="inputs-table"><thead><tr><th>input</th><th style="width:34%">level</th>
      <th class="num">set to</th></tr></thead><tbody></tbody></table></div>
    <div class="row"><button class="secondary" id="btn-inputs-reset">Reset to the reference window</button>
      <span id="inputs-status" class="bad" role="status"></span></div>
  </div>
"""

INPUTS_SCRIPT = r"""
// ---- Scenario inputs (mixscope/serve/page_inputs.py). multiple[i]: organic i's volume as a multiple of
// the reference window's (1: as it was); level[j]: treatment j held at that level (null: as it was).
const inputs = {organic: [], treatments: [], multiple: [], level: []};
const levelFmt = new Intl.NumberFormat("en-US", {maximumFractionDigits: 4});
const volumePct = multiple => `${+(100 * multiple).toFixed(1)}%`;

function inputsStatus(text) { $("inputs-status").textContent = text; }

function buildInputs() {
  const given = state.meta.scenario_inputs || {};
  inputs.organic = Object.entries(given.organic || {}).map(([name, o]) => ({...o, name}));
  inputs.treatments = Object.entries(given.treatments || {}).map(([name, t]) => ({...t, name}));
  if (!inputs.organic.length && !inputs.treatments.length) { $("scenario-inputs").remove(); return; }
  const body = document.querySelector("#inputs-table tbody");
  inputs.organic.forEach((o, i) => {
    const top = 100 * o.max_multiple;
    const slider = el("input", {type: "range", id: `organic-slider-${i}`, min: 0, max: top, step: 5,
                                "aria-label": `${o.name} volume`});
    const box = el("input", {type: "number", class: "level", id: `organic-${i}`, min: 0, max: top, step: 5,
                             "aria-label": `${o.name} volume, % of the reference window's`});
    inputs.multiple[i] = 1;
    body.append(el("tr", {id: `organic-row-${i}`},
      el("td", {class: "name"}, el("b", {}, o.name), el("div", {class: "muted"}, "organic: volume")),
      el("td", {}, slider, el("div", {class: "muted"}, `% of the reference window's, 0–${top}%`)),
      el("td", {class: "num"}, box, "%")));
    slider.addEventListener("input", () => setOrganic(i, +slider.value / 100));
    box.addEventListener("change", () => {
      const value = box.value.trim() === "" ? NaN : +box.value;
      if (!(value >= 0 && value <= top)) {
        inputsStatus(`${o.name}: '${box.value}' is not a volume from 0 to ${top}%`);
        showOrganic(i);
      } else setOrganic(i, value / 100);
    });
    showOrganic(i);
  });
  inputs.treatments.forEach((t, j) => {
    const box = el("input", {type: "text", inputmode: "decimal", class: "level", id: `treatment-${j}`,
                             placeholder: "as it was", "aria-label": `${t.name} level`});
    inputs.level[j] = null;
    body.append(el("tr", {id: `treatment-row-${j}`},
      el("td", {class: "name"}, el("b", {}, t.name), el("div", {class: "muted"}, "treatment: level")),
      el("td", {class: "muted", id: `treatment-range-${j}`},
         `reference level ${levelFmt.format(t.reference_level)} · seen in the data ` +
         `${levelFmt.format(t.observed_min)} – ${levelFmt.format(t.observed_max)} · reference window mean ` +
         levelFmt.format(t.window_mean)),
      el("td", {class: "num"}, box)));
    box.addEventListener("change", () => {
      const text = box.value.trim(), value = Number(text);
      if (text !== "" && !Number.isFinite(value)) {
        inputsStatus(`${t.name}: '${box.value}' is not a level (a number in the column's units)`);
        showTreatment(j);
      } else setTreatment(j, text === "" ? null : value);
    });
  });
  $("btn-inputs-reset").addEventListener("click", resetInputs);
}

function showOrganic(i) {
  $(`organic-slider-${i}`).value = String(100 * inputs.multiple[i]);
  $(`organic-${i}`).value = String(+(100 * inputs.multiple[i]).toFixed(1));
}

function showTreatment(j) {
  $(`treatment-${j}`).value = inputs.level[j] === null ? "" : String(inputs.level[j]);
}

function setOrganic(i, multiple) {
  inputs.multiple[i] = multiple;
  inputsStatus("");
  showOrganic(i);
  schedule();
}

function setTreatment(j, level) {
  inputs.level[j] = level;
  inputsStatus("");
  showTreatment(j);
  schedule();
}

function resetInputs() {
  inputs.organic.forEach((o, i) => { inputs.multiple[i] = 1; showOrganic(i); });
  inputs.treatments.forEach((t, j) => { inputs.level[j] = null; showTreatment(j); });
  inputsStatus("");
  schedule();
}

// The what-if request with the inputs set away from the reference window; none set: the plain request.
function withInputs(body) {
  const organic = inputs.organic.flatMap((o, i) => inputs.multiple[i] === 1 ? [] :
    [[o.name, inputs.multiple[i]]]);
  const treatments = inputs.treatments.flatMap((t, j) => inputs.level[j] === null ? [] :
    [[t.name, inputs.level[j]]]);
  if (organic.length) body.organic = Object.fromEntries(organic);
  if (treatments.length) body.treatments = Object.fromEntries(treatments);
  return body;
}

const hasOwn = (object, key) => Boolean(object) && Object.prototype.hasOwnProperty.call(object, key);

// A saved scenario's inputs put on the page (page_scenarios.py's "load"): those it sets take its values,
// the others go back to the reference window.
function setInputs(organic, treatments) {
  inputs.organic.forEach((o, i) => {
    inputs.multiple[i] = hasOwn(organic, o.name) ? organic[o.name] : 1; showOrganic(i); });
  inputs.treatments.forEach((t, j) => {
    inputs.level[j] = hasOwn(treatments, t.name) ? treatments[t.name] : null; showTreatment(j); });
  inputsStatus("");
  schedule();
}

// A scenario's inputs in words, for the saved list and the comparison ("" when it sets none).
const inputsText = s => [
  ...Object.entries(s.organic || {}).map(([name, multiple]) => `${name}: volume ${volumePct(multiple)}`),
  ...Object.entries(s.treatments || {}).map(([name, level]) => `${name}: level ${levelFmt.format(level)}`),
].join("; ");

// The outcome panel: each input's change in the outcome (90% interval); a treatment level outside the
// levels the data showed is warned about, on the panel and on its input.
function renderInputs(r) {
  const s = r.scenario_inputs, panel = $("outcome-inputs");
  inputs.treatments.forEach((t, j) => $(`treatment-row-${j}`).classList.remove("outside-data"));
  if (!s) { panel.replaceChildren(); return; }
  const rows = [], warnings = [];
  const row = (id, name, level, change) => el("tr", {},
    el("td", {class: "name"}, el("span", {class: "input-name"}, name), el("div", {class: "muted"}, level)),
    el("td", {class: "num", id, dataset: {value: String(change.mean)}},
       `${signed(change.mean)} [${signed(change.ci_90[0])}, ${signed(change.ci_90[1])}]`));
  inputs.organic.forEach((o, i) => {
    if (!hasOwn(s.organic, o.name)) return;
    const e = s.organic[o.name];
    rows.push(row(`organic-change-${i}`, o.name, `volume ${volumePct(e.multiple)}`, e.change));
  });
  inputs.treatments.forEach((t, j) => {
    if (!hasOwn(s.treatments, t.name)) return;
    const e = s.treatments[t.name];
    rows.push(row(`treatment-change-${j}`, t.name, `level ${levelFmt.format(e.level)}`, e.change));
    if (!e.outside_data) return;
    $(`treatment-row-${j}`).classList.add("outside-data");
    warnings.push(el("div", {class: "warn inputs-warn", id: `treatment-warning-${j}`},
      `${t.name} at ${levelFmt.format(e.level)} is outside the levels the data showed ` +
      `(${levelFmt.format(t.observed_min)} – ${levelFmt.format(t.observed_max)}): its change is the ` +
      "model's straight line carried past the data, not something the data saw."));
  });
  panel.replaceChildren(el("div", {class: "muted", style: "margin-top:8px"},
                           "included above: scenario inputs, change in the outcome [90% interval]"),
    el("div", {class: "scroll"}, el("table", {id: "outcome-inputs-table"}, el("tbody", {}, ...rows))),
    ...warnings,
    el("div", {class: "muted"}, s.note));
}

// After Optimise: the plan held the inputs as the reference window had them; say so, in the API's words.
function noteHeldInputs(plan, summary) {
  if (!inputs.organic.length && !inputs.treatments.length) return;
  const held = [...inputs.organic, ...inputs.treatments].map(input => input.name).join(", ") + ": held";
  const note = (plan.notes || []).find(text => text.startsWith(held));
  summary.append(el("br"), el("span", {id: "plan-inputs-note"},
    note || "Organic media and treatments: held as the reference window had them (never budget)."));
}
"""
