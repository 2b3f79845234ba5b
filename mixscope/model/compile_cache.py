"""Reuse compiled samplers across processes (JAX's persistent compilation cache).

Compiling the NUTS program is most of a national fit on a 2-core machine; a
refit with the same spec and data shape (a new seed, more draws are different
programs) loads it from disk instead. ``MIXSCOPE_COMPILE_CACHE`` names the
folder, or ``off`` disables it; a cache folder the user set on JAX is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

ENV = "MIXSCOPE_COMPILE_CACHE"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mixscope" / "xla"


def enable_compile_cache() -> Path | None:
    """Point JAX at the cache folder (idempotent); return it, or ``None`` when off."""
    setting = os.environ.get(ENV, "")
    if setting.lower() == "off":
        return None
    current = jax.config.jax_compilation_cache_dir
    if current:
        return Path(current)
    folder = Path(setting) if setting else default_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home: fitting works, only without the cache
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    return folder
