"""What the planner's server process starts with (address, draws, heap), for the CLI entry and the app."""

from __future__ import annotations

import gc
import ipaddress

LOOPBACK = "127.0.0.1"
# What-if answers come from this many posterior draws (a fixed, seeded subset) when the surface has more:
# a query's cost stays bounded whatever the posterior's size, and the intervals barely move
# (bench/serve.py; figures in bench/results/HISTORY.md). Planning uses every draw.
DEFAULT_LIVE_DRAWS = 1000


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname resolving who knows where: treat as exposed


def freeze_startup_heap() -> None:
    """Take everything loaded so far out of the garbage collector's sight.

    FastAPI, NumPy, SciPy and pandas leave about 140k long-lived objects; Python's
    full collection walks them all (about 90 ms on the 2-core machine, once every
    few thousand requests), and every request in flight waits for it: a p99 spike.
    None of them will ever be garbage, so they need not be walked.
    """
    gc.collect()
    gc.freeze()
