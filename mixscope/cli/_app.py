"""The Typer application every command module registers on."""

import inspect

import typer
from rich.markup import escape
from typer.models import ParameterInfo

app = typer.Typer(
    help="Bayesian marketing mix modelling: validate data, fit, and query the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def literal_help(application: typer.Typer) -> None:
    """Escape Rich markup in every command's and option's help, so it prints as written.

    Typer reads help text as Rich markup, which would swallow "[sampler]" (a spec section,
    not a style); escaping keeps Rich's layout and prints the brackets. Run once, after
    every command module has registered (escaping twice would print the backslashes).
    """
    for command in application.registered_commands:
        callback = command.callback
        if callback is None:
            continue
        text = command.help if command.help is not None else inspect.getdoc(callback)
        if text is not None:
            command.help = escape(text)
        for parameter in inspect.signature(callback).parameters.values():
            info = parameter.default
            if isinstance(info, ParameterInfo) and info.help:
                info.help = escape(info.help)
