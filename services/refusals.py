"""Refusals: work that stopped before changing anything, with every problem it found listed."""


class Refused(Exception):
    """Work refused as a whole; nothing was written. Carries every problem found, in order."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
