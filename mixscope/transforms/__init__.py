"""Media transforms: pure JAX functions on ``(geo, time, channel)`` arrays."""

from mixscope.transforms.adstock import (
    apply_adstock,
    delayed_adstock,
    delayed_weights,
    geometric_adstock,
    geometric_weights,
)
from mixscope.transforms.saturation import hill, logistic

__all__ = [
    "apply_adstock",
    "delayed_adstock",
    "delayed_weights",
    "geometric_adstock",
    "geometric_weights",
    "hill",
    "logistic",
]
