"""mixscope: Bayesian marketing mix modelling as a persistent, queryable decision tool.

The subpackages follow the pipeline, data -> transforms -> model -> surface -> plan
-> insights/report/serve:

- ``data``: load a table, the validation gate, and the arrays a run models.
- ``transforms``: adstock and saturation, pure JAX functions.
- ``model``: the NumPyro MMM (lift-test likelihood included), NUTS sampling, diagnostics.
- ``calibration``: lift-test experiments, the evidence report and which test to run next.
- ``ridge``: the frequentist engine (OLS/ridge/lasso with a Robyn-style search).
- ``meridian``: a fitted Google Meridian model imported as a mixscope run.
- ``simulate``: simulated data with known truth, and the truth zoo that scores recovery.
- ``surface``: the stored prediction space and its JAX-free runtime queries.
- ``plan``: allocation under constraints, the efficient frontier, marginal returns.
- ``insights``: a local LLM explains a run and answers questions; every number is verified.
- ``report``: the self-contained HTML report.
- ``serve``: the web planner (FastAPI) answered from the stored surface.
- ``batch``: many specs fitted on a Dask cluster, and their catalog (``mixscope batch``).
- ``cli``: the ``mixscope`` command line, one module per domain.
- ``examples``: the bundled simulated data ``mixscope init --example`` copies.

Beside them: ``spec`` (the TOML run spec; ``spec_terms`` its holidays, events and
treatments), ``starter`` (``init``'s guessed spec),
``pipeline`` (spec + data -> a calibrated fit, what ``mixscope fit`` calls), ``run``
(fit results and run directories), ``metrics`` (one definition of each business
metric), ``stats`` (shared statistics such as the variance inflation factor),
``engines`` (the evaluation inputs of each engine's runs), ``run_files`` and
``storage`` (files on disk), ``errors`` (messages meant for users), ``choices``
(names the library and the CLI both accept, importing nothing), ``_lazy`` (the
lazy public names of this package and others) and ``xla``
(:func:`mixscope.xla.configure_xla`: XLA flags, set only when asked; importing
mixscope changes no environment variable).

Public names are imported lazily so that the runtime path (surface queries,
planning, the web planner) never pays for, or depends on, JAX and NumPyro.
"""

from __future__ import annotations

import warnings

from mixscope._lazy import lazy_getattr

# ArviZ 0.2x announces its 1.0 refactor on import; users cannot act on it.
warnings.filterwarnings("ignore", message="ArviZ is undergoing", category=FutureWarning)

__version__ = "0.1.0"

_PUBLIC = {
    "FitResult": "mixscope.run",
    "Run": "mixscope.run",
    "RunSpec": "mixscope.spec",
    "Surface": "mixscope.surface.runtime",
    "build_surface": "mixscope.surface.build",
    "fit": "mixscope.pipeline",
    "load_dataset": "mixscope.data",
    "load_run": "mixscope.run",
    "load_spec": "mixscope.spec",
    "parse_spec": "mixscope.spec",
    "save_run": "mixscope.run",
    "validate_frame": "mixscope.data",
}

__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
