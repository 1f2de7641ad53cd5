"""`python -m mayadesk` runs the same entry point as the `mayadesk` command."""

import sys

from mayadesk.cli import main

sys.exit(main())
