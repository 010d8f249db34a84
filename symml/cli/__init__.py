"""The ``symml`` command line: a thin Click app over the public API."""

from symml.cli._app import app, main

__all__ = ["app", "main"]
