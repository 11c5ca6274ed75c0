"""``python -m refdesk``: the same as the ``refdesk`` command."""

from refdesk.cli import main

raise SystemExit(main())
