"""``python -m bmaparse``: the command line."""

from .cli import main

raise SystemExit(main())
