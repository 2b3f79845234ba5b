"""Media transforms: pure JAX functions on ``(geo, time, channel)`` arrays.

Each also takes ``channel_axis=0`` for channel-major ``(channel, geo, time)``
arrays. The model samples in that layout: the gradient with respect to a
channel's parameters sums over geos and periods, and on CPU that reduction is
2-6x faster over contiguous memory than strided across a minor channel axis
(180 → 80 µs for one Hill curve's gradient over 40 geos × 164 weeks × 5 channels).

:mod:`mixscope.transforms.registry` lists the kinds with their priors and NumPy
twins (:mod:`mixscope.transforms.runtime`). The JAX functions below are loaded
on first access, so reading the registry (spec validation, the JAX-free
surface runtime) does not import JAX.
"""

from __future__ import annotations

from mixscope._lazy import lazy_getattr

_EXPORTS = {
    "apply_adstock": "mixscope.transforms.adstock",
    "delayed_adstock": "mixscope.transforms.adstock",
    "delayed_weights": "mixscope.transforms.adstock",
    "geometric_adstock": "mixscope.transforms.adstock",
    "geometric_weights": "mixscope.transforms.adstock",
    "hill": "mixscope.transforms.saturation",
    "logistic": "mixscope.transforms.saturation",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
