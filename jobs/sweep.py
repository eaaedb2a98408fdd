"""`gallon sweep` as a script: `python jobs/sweep.py ...`, as `ray job submit` runs it.

The job is gallon.commands.sweep; its docstring lists the flags and examples.
"""

import sys

from gallon.commands.sweep import main

if __name__ == "__main__":
    sys.exit(main())
