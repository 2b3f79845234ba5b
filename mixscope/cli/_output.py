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
    """Print ``table`` within the console's width, wrapping cells and headers, never cutting them with "…".

    Where every column fits its longest word (header included), no word is broken; otherwise,
    as with many query columns on a narrow terminal, long words fold onto the next line.
    """
    words = [_longest_word([column.header, *column.cells]) for column in table.columns]
    borders_and_padding = 3 * len(words) + 1  # the default box: one rule per side, one space of padding
    whole_words = sum(words) + borders_and_padding <= console.width
    for column, width in zip(table.columns, words, strict=True):
        column.overflow = "fold"
        column.no_wrap = False
        if whole_words:
            column.min_width = max(column.min_width or 0, width)
    console.print(table)


def _longest_word(cells: list[Any]) -> int:
    texts = (cell.plain if isinstance(cell, Text) else str(cell) for cell in cells)
    return max((cell_len(word) for text in texts for word in text.split()), default=1)


def interval(summary: dict[str, Any], fmt: str = ",.0f") -> str:
    """A ``{mean, ci_90}`` summary as "mean [low, high]"."""
    low, high = summary["ci_90"]
    return f"{number_text(summary['mean'], fmt)} [{number_text(low, fmt)}, {number_text(high, fmt)}]"


def number_text(value: float, fmt: str) -> str:
    """``value`` in ``fmt``, with no sign on a figure that rounds to zero ("0", never "-0" or "+0")."""
    text = f"{value:{fmt}}"
    return text.lstrip("+-") if text.lstrip("+-").strip("0.,%") == "" else text

