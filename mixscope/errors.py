"""Errors that reach users: each carries a message meant to be read, not a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
