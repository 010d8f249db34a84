"""``python -m symml.cli``: the same as the ``symml`` command."""

from symml.cli import main

main()
