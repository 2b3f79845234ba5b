"""Insights: a local LLM explains a run in business language, and every number it states is checked.

``facts`` builds the versioned facts JSON from stored results only (channel
names made safe by ``names``, numbers written by ``formatting``); ``backends``
produce a narrative (local GGUF via llama-cpp-python, an OpenAI-compatible
endpoint the user names, or a deterministic template); ``verify`` checks every
number, channel, citation and claim against the facts; ``explain`` retries and
falls back to the template. No JAX or NumPyro is imported here.
"""

from mixscope.insights.explain import Explanation, explain_run
from mixscope.insights.facts import FACTS_VERSION, Facts, build_facts, facts_from_summary
from mixscope.insights.narrative import Item, Narrative
from mixscope.insights.verify import Verification, verify

__all__ = [
    "FACTS_VERSION",
    "Explanation",
    "Facts",
    "Item",
    "Narrative",
    "Verification",
    "build_facts",
    "explain_run",
    "facts_from_summary",
    "verify",
]
