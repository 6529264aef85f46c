"""What every command-line group shares."""
from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit status 2: never a traceback for bad input."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
