"""The ``mixscope`` command line, one module per domain.

Convention for every command: human-readable output by default, ``--json`` for
machine-readable output on stdout; errors go to stderr with a non-zero exit
and a message that says what to do, never a traceback.

Importing a command module registers its commands on :data:`app`, in the order
``mixscope --help`` lists them.
"""

from mixscope.cli import data, fit, batch, meridian, surface, calibration, plan  # noqa: F401, I001
from mixscope.cli import report, export, serve, insights  # noqa: F401, I001
from mixscope.cli._app import app, literal_help
from mixscope.cli._output import out, err
from mixscope.xla import configure_xla

__all__ = ["app", "err", "main", "out"]

literal_help(app)


def main() -> None:
    """The console entry point: XLA flags first (JAX has not started yet), then the command."""
    configure_xla()
    app()
