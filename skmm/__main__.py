"""``python -m skmm``: the ``skmm`` command line."""

import sys

from skmm.cli import main

if __name__ == "__main__":
    sys.exit(main())
