"""``python -m bookbuild``: see :mod:`bookbuild.cli`."""

import sys

from bookbuild.cli import main

sys.exit(main())
