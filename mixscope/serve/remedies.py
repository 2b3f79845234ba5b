"""How the web planner words a refused plan's remedies: with the page's own controls.

The same keys as :data:`mixscope.plan.constraints.CLI_REMEDIES`; quoted labels are the page's labels
(mixscope/serve/page.py), so a user finds what to change. The API takes per-channel minimums the page
has no control for: that remedy names the request field.
"""

from __future__ import annotations

from collections.abc import Mapping

PAGE_REMEDIES: Mapping[str, str] = {
    "lower_budget": "lower the Optimise 'Budget'",
    "raise_budget": "raise the Optimise 'Budget'",
    "lower_minimum": "lower a channel's minimum",
    "unlock": "untick a channel's 'lock'",
    "widen_max_change": "raise 'Max change ±'",
    "leave_trust_region": "untick 'stay within spend levels seen in the data'",
}
