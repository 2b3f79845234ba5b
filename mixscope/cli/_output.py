"""What every command shares: the consoles, the error wrapper, JSON output and number formats."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mixscope.errors import MixscopeError

# No Rich markup or emoji codes in any printed string: channel names, paths, SQL and messages are data
# ('[red]tv[/red]' is a channel name, '[sampler]' a spec section). Styles come only from tagged and Text.
out = Console(soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

EXIT_INVALID = 1  # validation errors or failed diagnostics under --strict


def tagged(tag: str, style: str, message: object) -> Text:
    """``tag`` in ``style``, then ``message`` exactly as written."""
    return Text.assemble((tag, style), " ", str(message))


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one clear stderr paragraph and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MixscopeError as error:
            err.print(tagged("error:", "bold red", error), highlight=False)
            raise typer.Exit(error.exit_code) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err.print("interrupted: nothing was written.")
            raise typer.Exit(130) from None
        except Exception as error:  # noqa: BLE001 - last line of defence against tracebacks
            if os.environ.get("MIXSCOPE_DEBUG"):
                raise
            err.print(tagged(
                "internal error:", "bold red",
                f"{type(error).__name__}: {error}\nThis is a bug in mixscope. Re-run with MIXSCOPE_DEBUG=1 "
                "for the traceback and report it.",
            ), highlight=False)
            raise typer.Exit(3) from None

    return wrapper


def emit_json(payload: Any) -> None:
    """``payload`` as indented JSON on stdout, the whole of a ``--json`` command's output."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def print_table(table: Table, console: Console = out) -> None:
    """Print ``table`` within the console's width, never cutting a header or cell with "…".

    Columns narrower than their text wrap it at spaces, never inside a word; a table too wide even
    for that (many query columns on a narrow terminal) is printed as one block per row instead,
    each column's name beside its value.
    """
    texts = [[_plain(cell) for cell in (column.header, *column.cells)] for column in table.columns]
    natural = [max((cell_len(line) for text in column for line in text.splitlines()), default=1)
               for column in texts]
    words = [max((cell_len(word) for text in column for word in text.split()), default=1) for column in texts]
    room = console.width - (3 * len(texts) + 1)  # the default box: a rule per side, a space of padding
    if sum(natural) <= room:
        console.print(table)
        return
    if sum(words) > room and len(texts) > 2:
        _print_records(table, console)
        return
    widths = _shrink(natural, words, room)
    for column, width in zip(table.columns, widths, strict=True):
        column.width, column.no_wrap = width, False
        column.overflow = "fold"  # only a word longer than the terminal itself is broken, still no "…"
    console.print(table)


def _shrink(natural: list[int], floor: list[int], room: int) -> list[int]:
    """Column widths summing to ``room`` or less, taking from the column with most to spare first."""
    widths = list(natural)
    while sum(widths) > room:
        spare = [width - least for width, least in zip(widths, floor, strict=True)]
        widest = max(range(len(widths)), key=spare.__getitem__)
        if spare[widest] <= 0:
            widest = max(range(len(widths)), key=widths.__getitem__)
            if widths[widest] <= 1:
                break
        widths[widest] -= 1
    return widths


def _print_records(table: Table, console: Console) -> None:
    if table.title:
        console.print(table.title)
    cells = [list(column.cells) for column in table.columns]
    for row in range(table.row_count):
        record = Table(title=f"row {row + 1}", title_justify="left", show_header=False)
        record.add_column(justify="left")
        record.add_column(justify="right")
        for column, values in zip(table.columns, cells, strict=True):
            record.add_row(column.header, values[row])
        print_table(record, console)


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def interval(summary: dict[str, Any], fmt: str = ",.0f") -> str:
    """A ``{mean, ci_90}`` summary as "mean [low, high]"."""
    low, high = summary["ci_90"]
    return f"{number_text(summary['mean'], fmt)} [{number_text(low, fmt)}, {number_text(high, fmt)}]"


def number_text(value: float, fmt: str) -> str:
    """``value`` in ``fmt``, with no sign on a figure that rounds to zero ("0", never "-0" or "+0")."""
    text = f"{value:{fmt}}"
    return text.lstrip("+-") if text.lstrip("+-").strip("0.,%") == "" else text

