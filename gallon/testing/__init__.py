"""Support for gallon's own tests. Nothing here acts unless a test sets its environment variable."""
