"""``batch``: many specs fitted as one Dask task each, with a catalog for cross-model queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mixscope.cli._app import app
from mixscope.cli._output import EXIT_INVALID, emit_json, err, friendly_errors, out, print_table, tagged
from mixscope.cli.fit import Engine


@app.command()
@friendly_errors
def batch(
    specs: list[Path] = typer.Argument(..., metavar="SPEC...", help="Spec files, one run each."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder of the runs and catalog.parquet."),
    scheduler: str = typer.Option(
        None, help="An existing Dask scheduler (tcp://HOST:PORT); default: a local cluster on this machine."
    ),
    workers: int = typer.Option(None, help="Local cluster workers (default: one per 2 cores)."),
    engine: Engine = typer.Option(Engine.bayes, help="bayes (NUTS, default) or ridge."),
    surface: bool = typer.Option(False, "--surface", help="Also build each run's surface."),
    as_json: bool = typer.Option(False, "--json", help="Print each spec's outcome as JSON."),
) -> None:
    """Fit every spec (one Dask task each); skip runs whose spec and data are unchanged."""
    from mixscope.batch import run_batch

    if scheduler is not None and workers is not None:
        raise typer.BadParameter("--workers sizes the local cluster; an existing --scheduler has its own.")
    with _progress(quiet=as_json) as show:
        outcome = run_batch(specs, out_dir, engine=engine.value, surface=surface, scheduler=scheduler,
                            workers=workers, on_done=show)
    if as_json:
        emit_json({"out": str(out_dir), "fitted": list(outcome.fitted), "skipped": list(outcome.skipped),
                   "failed": outcome.failed, "records": list(outcome.records),
                   "catalog": str(outcome.catalog)})
    else:
        _print_outcome(outcome)
    if outcome.failed:
        raise typer.Exit(EXIT_INVALID)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[dict[str, Any], int, int], None] | None]:
    """A bar counting fits on a terminal; one plain line per finished fit in a log; nothing with --json."""
    if quiet:
        yield None
        return
    if not err.is_terminal:
        yield _progress_line
        return
    with Progress(TextColumn("fits"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("fits", total=None)

        def advance(record: dict[str, Any], done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if record["status"] == "failed":
                _progress_line(record, done, total)

        yield advance


def _progress_line(record: dict[str, Any], done: int, total: int) -> None:
    """One plain line per finished fit."""
    if record["status"] == "failed":
        err.print(tagged(f"[{done}/{total}] {record['name']}: FAILED", "bold red", record["reason"]),
                  highlight=False)
    else:
        seconds = record.get("seconds")
        took = "" if seconds is None else f" in {seconds:.0f} s"
        err.print(Text(f"[{done}/{total}] {record['name']}: {record['status']}{took}"), highlight=False)


def _print_outcome(outcome: Any) -> None:
    table = Table(title=f"Batch into {outcome.out}")
    for column in ("outcome", "runs"):
        table.add_column(column)
    table.add_row("fitted", ", ".join(outcome.fitted) or "-")
    table.add_row("skipped (unchanged)", ", ".join(outcome.skipped) or "-")
    table.add_row("failed", ", ".join(outcome.failed) or "-")
    print_table(table)
    out.print(Text(f"Catalog: {outcome.catalog} (query it: mixscope query {outcome.out} "
                   f"\"SELECT run, channel, roi_mean FROM catalog\")."))
    if outcome.failed:
        for name, reason in outcome.failed.items():
            err.print(tagged(f"{name}:", "bold red", reason), highlight=False)

