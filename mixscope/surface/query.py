"""SQL over a run's stored tables in a DuckDB that can reach nothing else (``mixscope query``).

On a ``mixscope batch`` folder the one table is the batch's ``catalog``.

The query is for reading the run, so the sandbox is DuckDB's own: the run's
tables are read into memory first (after the same checks as loading the
surface), then external access is switched off and the configuration locked.
From then on no statement can open a file (``read_csv('/etc/passwd')``,
``glob``, ``COPY ... TO``, ``ATTACH``), reach the network, install or load an
extension, or turn any of that back on. On top of that, only one statement
runs, and only a read: SELECT (with WITH, FROM-first, DESCRIBE, SHOW,
SUMMARIZE) or EXPLAIN.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from mixscope.batch.catalog import CATALOG
from mixscope.errors import SurfaceError
from mixscope.surface.store import TABLES, read_manifest, surface_path

QUERY_TABLES = (*TABLES, "predictions")
_READS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
# Applied in this order; the last locks every setting, these included.
_SANDBOX = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)
EXAMPLE = "SELECT * FROM scenarios ORDER BY outcome_mean DESC LIMIT 5"
BATCH_EXAMPLE = "SELECT run, channel, roi_mean FROM catalog ORDER BY roi_mean DESC"


def run_query(run_dir: str | Path, sql: str) -> pd.DataFrame:
    """The rows of one read-only ``sql`` statement over the run's surface tables and predictions.

    Raises :class:`SurfaceError` for anything else (empty, several statements, a
    write, a file or an extension, a syntax error), naming the tables to use.
    """
    run_dir = Path(run_dir)
    batch = _is_batch(run_dir)
    if not sql.strip():
        raise _refusal("the SQL is empty", run_dir, batch)
    if batch:
        tables: dict[str, object] = {"catalog": pq.read_table(run_dir / CATALOG)}
    else:
        read_manifest(run_dir)  # the run and its surface as load_run and Surface.load check them
        tables = _tables(run_dir)
    connection = sandbox(tables)
    try:
        statements = connection.extract_statements(sql)
        if len(statements) != 1:
            raise _refusal(f"give one statement, not {len(statements)}", run_dir, batch)
        kind = statements[0].type
        if kind not in _READS:
            raise _refusal(f"only reads are allowed (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN), not "
                           f"{kind.name}", run_dir, batch)
        return connection.execute(statements[0]).fetch_df()
    except duckdb.Error as error:
        raise _refusal(f"SQL error: {str(error).splitlines()[0]}", run_dir, batch) from None
    finally:
        connection.close()


def _is_batch(folder: Path) -> bool:
    """A ``mixscope batch`` output folder: its catalog, and no run of its own."""
    return (folder / CATALOG).is_file() and not (folder / "manifest.json").exists()


def sandbox(tables: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding ``tables`` (Arrow tables or DataFrames) and nothing it can reach."""
    connection = duckdb.connect(":memory:")
    for name, table in tables.items():
        connection.register(name, table)
    for setting in _SANDBOX:
        connection.execute(setting)
    return connection


def _tables(run_dir: Path) -> dict[str, object]:
    folder = surface_path(run_dir)
    tables: dict[str, object] = {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}
    tables["predictions"] = pq.read_table(run_dir / "predictions.parquet")
    return tables


def _refusal(reason: str, run_dir: Path, batch: bool = False) -> SurfaceError:
    tables, example = (("catalog",), BATCH_EXAMPLE) if batch else (QUERY_TABLES, EXAMPLE)
    return SurfaceError(
        f"{reason}.\nTables: {', '.join(tables)}. Example: mixscope query {run_dir} \"{example}\""
    )
