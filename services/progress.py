"""How long work reports its progress: phases with a length, steps within them, and log lines."""

from collections.abc import Callable

# Advance the current phase by this many units of work.
Step = Callable[[int], None]
# Start a phase (a label and how many units it has), ending the one before; returns its Step.
Progress = Callable[[str, int], Step]
# One line of news for a person watching, when no progress bar shows.
Log = Callable[[str], None]
