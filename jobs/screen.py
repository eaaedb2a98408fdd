"""`gallon screen` as a script: `python jobs/screen.py ...`, as `ray job submit` runs it.

The job is gallon.commands.screen; its docstring lists the flags and examples.
"""

import sys

from gallon.commands.screen import main

if __name__ == "__main__":
    sys.exit(main())
