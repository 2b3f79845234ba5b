"""``python -m mixscope`` runs the CLI."""

from mixscope.cli import main

main()
