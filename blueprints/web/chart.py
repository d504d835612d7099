"""The import history as bars of an SVG chart, laid out here so the template only draws them."""

from dataclasses import dataclass

from blueprints.web.filters import moment
from services.catalog.pages import HistoryPoint

WIDTH, HEIGHT, GAP = 600, 160, 4
# Few imports make bars no wider than this, left-aligned, rather than blocks across the chart.
WIDEST_SLOT = 40


@dataclass
class Bar:
    """One import or sync as a bar: its box, and what it says in words."""

    x: float
    y: float
    width: float
    height: float
    label: str
    kind: str


def history_chart(points: list[HistoryPoint]) -> dict:
    """The bars of versions added per import, oldest left, scaled to the largest."""
    largest = max((point.versions_added for point in points), default=0)
    slot = min(WIDTH / max(len(points), 1), WIDEST_SLOT)
    bars = []
    for index, point in enumerate(points):
        # A bar of at least 1 px, so an import that added nothing still shows it ran.
        height = max(1.0, HEIGHT * point.versions_added / largest) if largest else 1.0
        bars.append(
            Bar(
                x=round(index * slot + GAP / 2, 1),
                y=round(HEIGHT - height, 1),
                width=round(max(slot - GAP, 1), 1),
                height=round(height, 1),
                label=f"{moment(point.finished_at)}: {point.kind}, "
                f"{point.versions_added} version{'' if point.versions_added == 1 else 's'} added",
                kind=point.kind,
            )
        )
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "largest": largest}
