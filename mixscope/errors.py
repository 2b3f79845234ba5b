"""Errors that reach users: each carries a message meant to be read, not a traceback."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

# Larger than any media budget in any currency: a bigger number is a typo or a probe. Inputs above it are
# refused, and messages never write a number out in full beyond it (1e308 would be 309 digits).
MAX_AMOUNT = 1e15


class MixscopeError(Exception):
    """Base class: the CLI prints ``str(error)`` to stderr and exits non-zero."""

    exit_code = 2


class SpecError(MixscopeError):
    """The TOML run spec is malformed: unknown key, wrong type, missing column."""


class DataError(MixscopeError):
    """The data could not be read or fails the validation gate."""


class RunError(MixscopeError):
    """A run directory is missing, incomplete or does not match what was asked."""


class SurfaceError(MixscopeError):
    """A stored prediction surface is missing, stale, corrupted, or was queried wrongly."""


def did_you_mean(name: object, options: Iterable[str], quote: str = "'") -> str:
    """`` Did you mean 'x'?`` for the closest of ``options`` to ``name``, or ``""``."""
    close = difflib.get_close_matches(str(name), list(options), n=1)
    return f" Did you mean {quote}{close[0]}{quote}?" if close else ""


def amount_text(value: float) -> str:
    """``1,500,000`` for plausible amounts, ``1e+308`` beyond them, ``nan``/``inf`` as such."""
    return f"{value:,.0f}" if math.isfinite(value) and abs(value) < MAX_AMOUNT else f"{value:.3g}"
