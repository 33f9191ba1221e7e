"""`python -m videogen_studio` = the `videogen-studio` command."""

from .cli import main

raise SystemExit(main())
