"""Coming from Google Meridian: a fitted Meridian model as a mixscope run.

``import_meridian`` (CLI: ``mixscope import-meridian MODEL --data CSV --out RUN``)
reads Meridian's posterior (netCDF, or the ``save_mmm`` pickle with the
``meridian`` extra), reproduces Meridian's equations on the model's data
(:mod:`mixscope.meridian.equations`) and writes a run directory every later
command reads (``surface``, ``whatif``, ``plan``, ``frontier``, ``explain``,
``report``, ``serve``). ``response_curves`` gives Meridian's response curves
from an imported run, by Meridian's definition.
"""

from __future__ import annotations

from mixscope._lazy import lazy_getattr

_PUBLIC = {
    "import_meridian": "mixscope.meridian.engine",
    "response_curves": "mixscope.meridian.curves",
}

__all__ = sorted(_PUBLIC)
# Lazily, so reading the mapping or the engine hook does not import JAX-heavy modules twice over.
__getattr__ = lazy_getattr(__name__, _PUBLIC)
