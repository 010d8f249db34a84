"""``python -m symml.cli``: the same as the ``symml`` command."""

from symml.cli import main

if __name__ == "__main__":  # not when a process pool's spawn imports this module again
    main()
