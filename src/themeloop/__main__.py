"""``python -m themeloop`` runs the CLI."""

from themeloop.cli.app import main

main()
