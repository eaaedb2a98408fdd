"""`gallon run` as a script: `python jobs/run_all.py ...`, as `ray job submit` runs it.

The job is gallon.commands.run; its docstring lists the flags and examples.
"""

import sys

from gallon.commands.run import main

if __name__ == "__main__":
    sys.exit(main())
