"""`python -m bot` is the `govbot` command."""

from bot.cli import main

main()
