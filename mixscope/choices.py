"""Names the library and the CLI both accept, in a module that imports nothing.

The CLI builds its choice options from these lists (so ``--help`` lists them and Typer
refuses any other) without importing the packages that use them, which load JAX.
"""

from __future__ import annotations

RIDGE_METHODS = ("ols", "ridge", "lasso")  # mixscope.ridge: the regression's penalty
AUDIENCES = ("executive", "analyst")  # mixscope.insights: who a narrative is written for
# mixscope.model.fit: how NUTS chains share the machine ("auto": parallel with a device per chain)
CHAIN_METHODS = ("auto", "parallel", "vectorized", "sequential")
