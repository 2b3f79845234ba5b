"""The Typer application every command module registers on."""

import typer

app = typer.Typer(
    help="Bayesian marketing mix modelling: validate data, fit, and query the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
