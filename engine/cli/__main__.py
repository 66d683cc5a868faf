"""``python -m ecore.engine.cli``: the ``ecore`` command."""

import sys

from .main import main

sys.exit(main())
