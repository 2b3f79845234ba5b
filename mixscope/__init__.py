"""mixscope: Bayesian marketing mix modelling as a persistent, queryable decision tool."""

__version__ = "0.1.0"
