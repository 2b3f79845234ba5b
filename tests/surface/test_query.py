"""``mixscope query``: one read-only statement over the run's tables, in a DuckDB that reaches nothing
else."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.errors import SurfaceError
from mixscope.surface.query import run_query, sandbox

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_reads_are_answered(national_surface_dir):
    sql = "WITH s AS (SELECT * FROM scenarios) SELECT max(outcome_mean) AS m FROM s"
    best = run_query(national_surface_dir, sql)
    assert best["m"].iloc[0] > 0
    tables = set(run_query(national_surface_dir, "SHOW TABLES")["name"])
    assert tables == {"curves", "draws", "scenarios", "scenario_channels", "predictions"}
    columns = run_query(national_surface_dir, "DESCRIBE predictions")["column_name"]
    assert "actual" in set(columns)
    assert len(run_query(national_surface_dir, "EXPLAIN SELECT * FROM draws")) >= 1


@pytest.mark.parametrize(("sql", "reason"), [
    ("", "the SQL is empty"),
    ("   \n ", "the SQL is empty"),
    ("SELECT 1; SELECT 2", "one statement, not 2"),
    ("SELECT 1; COPY scenarios TO 'x.csv'", "one statement, not 2"),
    ("COPY scenarios TO '{out}'", "not COPY"),
    ("ATTACH '{db}' AS other", "not ATTACH"),
    ("INSTALL httpfs", "only reads"),
    ("LOAD httpfs", "only reads"),
    ("SET enable_external_access = true", "not SET"),
    ("CREATE TABLE t AS SELECT 1", "not CREATE"),
    ("PRAGMA version", "not PRAGMA"),
    ("SELECT * FROM read_csv('/etc/passwd')", "SQL error"),
    ("SELECT * FROM read_text('/etc/hostname')", "SQL error"),
    ("SELECT * FROM glob('/*')", "SQL error"),
    ("SELECT * FROM read_parquet('{run}/data.parquet')", "SQL error"),
    ("SELECT * FROM 'https://example.com/x.csv'", "SQL error"),
    ("SELEC 1", "SQL error"),
])
def test_everything_but_one_read_of_the_run_is_refused(national_surface_dir, tmp_path, sql, reason):
    out, db = tmp_path / "leak.csv", tmp_path / "new.duckdb"
    statement = sql.format(out=out, db=db, run=national_surface_dir)
    with pytest.raises(SurfaceError, match=reason) as refused:
        run_query(national_surface_dir, statement)
    assert "Tables: curves, draws, scenarios, scenario_channels, predictions" in str(refused.value)
    assert not out.exists() and not db.exists()


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM glob('/*')", "COPY t TO '{out}'",
    "ATTACH '{out}' AS x", "LOAD httpfs", "SET enable_external_access = true",
    "SET lock_configuration = false",
])
def test_the_sandbox_itself_reaches_no_file_even_past_the_statement_check(tmp_path, sql):
    connection = sandbox({"t": pd.DataFrame({"a": [1, 2]})})
    assert connection.execute("SELECT sum(a) FROM t").fetchone() == (3,)
    with pytest.raises(duckdb.Error):
        connection.execute(sql.format(out=tmp_path / "leak"))
    assert not list(tmp_path.iterdir())


def test_cli_refusals_are_exit_2_with_the_reason(national_surface_dir, tmp_path):
    empty = invoke("query", national_surface_dir, "")
    assert empty.exit_code == 2 and "the SQL is empty" in empty.stderr
    copy = invoke("query", national_surface_dir, f"COPY scenarios TO '{tmp_path / 'x.csv'}'")
    assert copy.exit_code == 2 and "only reads are allowed" in copy.stderr
    assert "internal error" not in copy.stderr and not (tmp_path / "x.csv").exists()
    limit = invoke("query", national_surface_dir, "SELECT 1", "--limit", "0")
    assert limit.exit_code == 2 and "--limit" in limit.stderr
    rows = invoke("query", national_surface_dir, "SELECT count(*) AS n FROM predictions", "--json")
    assert rows.exit_code == 0 and json.loads(rows.stdout)[0]["n"] > 0
