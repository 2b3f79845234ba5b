"""The planner page's "Scenarios" card: save the plan on screen under a name, list, load, delete, compare.

Two pieces :func:`mixscope.serve.page.render_page` puts into the page: the card's
HTML and its script, which runs inside the page's script (it uses the page's
``api``, ``el``, ``planBody``, ``setPlan`` and number formats). Scenario names are
the user's text: the script shows them only as text nodes (``el``), never as
markup. Element ids are stable for the browser tests; per-scenario ones carry the
scenario's position in the list (``scenario-check-0``), never its name.
"""

from __future__ import annotations

from mixscope.serve.scenarios import MAX_COMPARED, MAX_NAME_LENGTH, MIN_COMPARED

SCENARIOS_CARD = f"""  <div class="card" id="scenarios"><h2>Scenarios</h2>
    <style>#scenarios .scenario-name{{max-width:14em;white-space:normal;overflow-wrap:anywhere}}</style>
    <div class="muted">Save the plan above under a name (kept in the run folder, with the scenario
      inputs set on the page); tick
      {MIN_COMPARED} to {MAX_COMPARED} saved scenarios to compare them side by side.</div>
    <div class="row"><input type="text" id="scenario-name" maxlength="{MAX_NAME_LENGTH}"
      placeholder="a name for this plan" aria-label="scenario name" style="flex:1;min-width:160px">
      <button id="btn-save-scenario">Save plan</button></div>
    <div id="scenario-status" class="muted" role="status"></div>
    <div class="scroll"><table id="scenario-list" data-count="0"><thead><tr><th>compare</th><th>name</th>
      <th class="num">total spend</th><th>inputs</th><th></th></tr></thead><tbody></tbody></table></div>
    <div id="scenario-empty" class="muted">No saved scenarios yet.</div>
    <div class="row"><button class="secondary" id="btn-compare">Compare ticked
      ({MIN_COMPARED}–{MAX_COMPARED})</button></div>
    <div id="scenario-compare"></div>
  </div>
"""

_SCRIPT = r"""
// ---- Saved scenarios (mixscope/serve/page_scenarios.py). A name is the user's text: text nodes only.
const scenarios = {saved: [], fewest: __MIN_COMPARED__, most: __MAX_COMPARED__};

function scenarioStatus(text, isError = false) {
  $("scenario-status").textContent = text;
  $("scenario-status").className = isError ? "bad" : "muted";
}

async function scenarioAction(button, work) {
  button.disabled = true; scenarioStatus("");
  try { await work(); } catch (error) { scenarioStatus(String(error.message || error), true); }
  finally { button.disabled = false; }
}

const tickedScenarios = () =>
  scenarios.saved.filter((s, i) => $(`scenario-check-${i}`)?.checked).map(s => s.name);

async function loadScenarios() {
  const data = await api("/api/scenarios");
  const ticked = new Set(tickedScenarios());
  scenarios.saved = data.scenarios;
  const rows = data.scenarios.map((s, i) => {
    const check = el("input", {type: "checkbox", id: `scenario-check-${i}`,
                               "aria-label": `compare ${s.name}`});
    check.checked = ticked.has(s.name);
    const load = el("button", {class: "secondary", id: `scenario-load-${i}`, title: "show this plan above"},
                    "load");
    load.addEventListener("click", () => {
      setPlan(s.spend); setInputs(s.organic || {}, s.treatments || {}); });
    const remove = el("button", {class: "secondary", id: `scenario-delete-${i}`}, "delete");
    remove.addEventListener("click", e => scenarioAction(e.target, () => deleteScenario(s.name)));
    return el("tr", {dataset: {index: String(i)}}, el("td", {}, check),
      el("td", {class: "scenario-name"}, s.name), el("td", {class: "num"}, fmt.format(s.total_spend)),
      el("td", {class: "muted scenario-inputs", id: `scenario-inputs-${i}`}, inputsText(s) || "as they were"),
      el("td", {class: "name"}, load, " ", remove));
  });
  document.querySelector("#scenario-list tbody").replaceChildren(...rows);
  $("scenario-empty").hidden = rows.length > 0;
  $("scenario-list").dataset.count = String(rows.length);
}

async function saveScenario() {
  const name = $("scenario-name").value.trim();
  if (!name) { scenarioStatus("Type a name for the plan first.", true); return; }
  const saved = await api("/api/scenarios", withInputs({name, spend: planBody()}));
  await loadScenarios();
  scenarioStatus(saved.message);
}

async function deleteScenario(name) {
  const gone = await api(`/api/scenarios/${encodeURIComponent(name)}`, {}, "DELETE");
  await loadScenarios();
  scenarioStatus(`Deleted scenario “${gone.name}”.`);
}

async function compareScenarios() {
  const names = tickedScenarios();
  if (names.length < scenarios.fewest || names.length > scenarios.most) {
    scenarioStatus(`Tick ${scenarios.fewest} to ${scenarios.most} saved scenarios to compare ` +
                   `(${names.length} ticked).`, true);
    return;
  }
  const c = await api("/api/compare", {names});
  const list = c.scenarios, head = cells => el("thead", {}, el("tr", {}, ...cells));
  const row = (label, cell) => el("tr", {}, el("td", {}, label), ...list.map(s => el("td", {class: "num"},
                                                                                     cell(s))));
  const channels = Object.keys(list[0].spend);
  const nameHeads = () => list.map(s => el("th", {class: "num scenario-name"}, s.name));
  const table = el("table", {id: "compare-table"},
    head([el("th"), ...nameHeads()]),
    el("tbody", {},
      row("outcome (mean)", s => fmt.format(s.outcome.mean)),
      row("90% interval", s => `${fmt.format(s.outcome.ci_90[0])} – ${fmt.format(s.outcome.ci_90[1])}`),
      row("vs current plan", s => signed(s.difference.mean)),
      row("total spend", s => fmt.format(s.total_spend)),
      ...channels.map(name => row(`${name} spend`, s => fmt.format(s.spend[name]))),
      ...(list.some(s => inputsText(s)) ? [row("scenario inputs", s => inputsText(s) || "as they were")]
                                        : [])));
  const prob = new Map(c.pairs.map(p => [`${p.a}\u0000${p.b}`, p.prob_a_beats_b]));
  const cell = (a, b, i, j) => {
    if (i === j) return el("td", {class: "num", id: `prob-${i}-${j}`}, "—");  // a plan vs itself
    const p = prob.get(`${a.name}\u0000${b.name}`);
    return el("td", {class: "num", id: `prob-${i}-${j}`, dataset: {value: String(p)}}, pct(p) + "%");
  };
  const beats = el("table", {id: "compare-prob", style: "margin-top:8px"},
    head([el("th", {}, "P(row beats column)"), ...nameHeads()]),
    el("tbody", {}, ...list.map((a, i) => el("tr", {}, el("td", {class: "scenario-name"}, a.name),
                                              ...list.map((b, j) => cell(a, b, i, j))))));
  const note = el("div", {class: "muted"}, `Outcomes: ${c.units.outcome}. From ${c.draws_used} of ` +
    `${c.draws_total} posterior draws, the same draws for every scenario (as the outcome above); ` +
    "a probability pairs the plans draw by draw.");
  const scroll = child => el("div", {class: "scroll"}, child);
  $("scenario-compare").replaceChildren(scroll(table), scroll(beats), note);
  $("scenario-compare").dataset.names = JSON.stringify(list.map(s => s.name));
}

function initScenarios() {
  $("btn-save-scenario").addEventListener("click", e => scenarioAction(e.target, saveScenario));
  $("scenario-name").addEventListener("keydown",
    e => { if (e.key === "Enter") $("btn-save-scenario").click(); });
  $("btn-compare").addEventListener("click", e => scenarioAction(e.target, compareScenarios));
  loadScenarios().catch(error => scenarioStatus(String(error.message || error), true));
}
initScenarios();
"""
SCENARIOS_SCRIPT = _SCRIPT.replace("__MIN_COMPARED__", str(MIN_COMPARED)).replace("__MAX_COMPARED__",
                                                                                  str(MAX_COMPARED))
