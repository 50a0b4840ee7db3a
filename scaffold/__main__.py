"""Run the CLI with ``python -m scaffold``."""

from scaffold.cli import main

main()
