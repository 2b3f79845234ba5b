"""The planner page's money: amounts shown with the spec's currency, and typed amounts read back.

A script fragment of the page (:mod:`mixscope.serve.page`), in its script's scope (``fmt``, ``state``).
``withCurrency`` is :func:`mixscope.insights.formatting.with_currency` in JavaScript, the rule the CLI
and the report write money by; the browser tests hold the two equal.
"""

from __future__ import annotations

MONEY_SCRIPT = r"""
// mixscope.insights.formatting.with_currency: an ISO code after the amount ("1,200 EUR"), a symbol
// before it and after any sign ("−€1,200"); the amount unchanged when the spec names no currency.
function withCurrency(amount, currency) {
  if (!currency) return amount;
  if (/^[A-Za-z]+$/.test(currency)) return `${amount} ${currency}`;
  const sign = amount !== "" && "+-−".includes(amount[0]) ? amount[0] : "";
  return sign + currency + amount.slice(sign.length);
}
const money = value => withCurrency(fmt.format(Math.round(value)), state.meta.currency);
const escapeRegExp = text => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// A typed amount: digits with or without separators, the currency before or after them ("€591,380",
// "591 380 EUR", "591380"); null for anything else, which the page refuses rather than guesses.
function parseMoney(text) {
  let cleaned = String(text);
  const currency = state.meta.currency;
  if (currency) cleaned = cleaned.replace(new RegExp(escapeRegExp(currency), "gi"), "");
  cleaned = cleaned.replace(/[\s,_]/g, "");
  return /^(\d+\.?\d*|\.\d+)$/.test(cleaned) ? Number(cleaned) : null;
}
"""
