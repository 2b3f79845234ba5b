"""Read the table a spec points at: a CSV or Parquet file, or a DuckDB query.

Every failure becomes a :class:`DataError` whose message names the file or
query and says what to do; reader tracebacks never reach the user.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from mixscope.errors import DataError
from mixscope.spec import DataSpec

_READERS: dict[str, tuple[str, Callable[[Path], pd.DataFrame]]] = {
    ".csv": ("CSV", pd.read_csv),
    ".csv.gz": ("gzipped CSV", pd.read_csv),
    ".parquet": ("Parquet", pd.read_parquet),
    ".pq": ("Parquet", pd.read_parquet),
}
_DATABASE_SUFFIXES = (".duckdb", ".db")
_SUPPORTED = "CSV (.csv, .csv.gz) or Parquet (.parquet, .pq)"


def load_table(data: DataSpec) -> pd.DataFrame:
    """Return the raw table named by ``data`` (columns as in the source, no mapping).

    ``data.query`` runs in DuckDB: in memory, or read-only against ``data.path``
    when that is a ``.duckdb``/``.db`` database file. Otherwise ``data.path`` is
    read by its extension. Raises :class:`DataError` on any read failure and on
    a table with no rows.
    """
    if data.query is not None:
        frame = _run_query(data.query, data.path)
        what = f"DuckDB query {data.query!r}"
    elif data.path is not None:
        frame = _read_file(data.path)
        what = f"Data file {data.path}"
    else:
        raise DataError("[data] names neither `path` nor `query`; set one of them in the spec.")
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise DataError(
            f"{what} gave no data rows (columns: {', '.join(map(str, frame.columns)) or 'none'}). "
            "Add the data rows, or fix the file or query so it returns them."
        )
    return frame


def _suffix(path: Path) -> str:
    name = path.name.lower()
    # Longest first so ".csv.gz" wins over a bare ".gz".
    for suffix in sorted(_READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _read_file(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(
            f"Data file {path} does not exist. Fix `path` in the [data] section of the spec "
            "(a relative path is resolved against the spec file's folder)."
        )
    if not path.is_file():
        raise DataError(f"Data path {path} is not a file. Point `path` in [data] at a data file.")
    suffix = _suffix(path)
    if suffix.endswith(_DATABASE_SUFFIXES):
        raise DataError(
            f"{path} is a DuckDB database; add a `query` to [data] that selects the table, "
            "e.g. query = \"SELECT * FROM weekly\"."
        )
    if suffix not in _READERS:
        raise DataError(
            f"Cannot read {path}: unknown file type {suffix or '(no extension)'!r}. "
            f"Save the data as {_SUPPORTED}, or load it with a DuckDB `query` in [data]."
        )
    kind, reader = _READERS[suffix]
    if path.stat().st_size == 0:
        raise DataError(
            f"Data file {path} is empty (0 bytes). Re-export the data from its source, or fix "
            "`path` in [data] if it points at the wrong file."
        )
    try:
        return reader(path)
    except Exception as error:
        # Readers raise a zoo of unrelated types on bad input (ParserError,
        # ArrowInvalid, UnicodeDecodeError, zlib.error, EOFError, ...); to the
        # user each one means the same thing: this file is not readable.
        encoding = " of UTF-8 text" if "CSV" in kind else ""
        raise DataError(
            f"Could not read {path} as {kind}: {_reason(error)}. Check that it is a complete, "
            f"valid {kind} file{encoding}; re-export it from the source or save it as "
            f"{_SUPPORTED}."
        ) from None


def _run_query(query: str, path: Path | None) -> pd.DataFrame:
    if path is not None and not _suffix(path).endswith(_DATABASE_SUFFIXES):
        raise DataError(
            f"[data] sets both `query` and `path` ({path}), but `path` is not a DuckDB database "
            "(.duckdb or .db). To query a CSV or Parquet file, remove `path` and read the file "
            "inside the query (e.g. SELECT * FROM read_csv_auto('data.csv')); otherwise remove "
            "`query`."
        )
    if path is not None and not path.is_file():
        raise DataError(
            f"DuckDB database {path} does not exist. Fix `path` in the [data] section of the spec."
        )
    try:
        connection = duckdb.connect(str(path), read_only=True) if path else duckdb.connect()
    except Exception as error:
        raise DataError(
            f"Could not open DuckDB database {path}: {_reason(error)}. Check that it is a DuckDB "
            "database file that no other process holds open for writing."
        ) from None
    try:
        return connection.execute(query).df()
    except Exception as error:
        # Same reasoning as for file readers: any failure is a bad query or bad source.
        source = f" against {path}" if path else ""
        raise DataError(
            f"DuckDB query {query!r}{source} failed: {_reason(error)}. Fix the SQL in `query` "
            "under [data]; test it in the duckdb shell first if the cause is unclear."
        ) from None
    finally:
        connection.close()


def _reason(error: BaseException) -> str:
    """The exception text as one short line.

    DuckDB appends the query and a caret marker ("LINE 1: ... ^^^"); the message
    already quotes the query, so that tail is dropped.
    """
    text = str(error).split("\nLINE ", 1)[0]
    text = re.sub(r"\s+", " ", text).strip().rstrip(".") or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
