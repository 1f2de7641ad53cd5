"""The bundle's entry script: the same entry point as the installed `mayadesk` command."""

import sys

from mayadesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
