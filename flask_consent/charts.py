"""Geometry of the dashboard's line chart, computed on the server so the SVG needs no chart library or JS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Okabe-Ito colours (distinguishable with colour-vision deficiencies), darkened where needed for 3:1
#: contrast on white; each series also gets its own dash pattern so colour is never the only cue.
COLOURS = ("#0072b2", "#c44e00", "#00795a", "#b0457f", "#1a1a1a", "#8a5a00", "#5b3d99", "#4a4a4a")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 5", "12 6", "6 2 2 2")


@dataclass(frozen=True)
class Series:
    """One line: its label, style, and the polyline runs between days without data."""

    label: str
    colour: str
    dash: str
    runs: tuple[str, ...]
    points: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """Everything the template needs to draw a 0–100 % line chart over days."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


def rate_chart(
    days: Sequence[str],
    values: Sequence[tuple[str, Sequence[float | None]]],
    width: int = 720,
    height: int = 300,
) -> LineChart:
    """A chart of rates in [0, 1]: one series per ``(label, value per day)``, None where there was no data."""
    left, top, right, bottom = 48, 12, width - 16, height - 36
    span = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return round(left + (right - left) * (i / span if len(days) > 1 else 0.5), 1)

    def y(v: float) -> float:
        return round(bottom - (bottom - top) * v, 1)

    series = []
    for n, (label, per_day) in enumerate(values):
        runs: list[str] = []
        current: list[str] = []
        points = []
        for i, v in enumerate(per_day):
            if v is None:
                if current:
                    runs.append(" ".join(current))
                current = []
                continue
            current.append(f"{x(i)},{y(v)}")
            points.append((x(i), y(v), f"{label}, {days[i]}: {v * 100:.0f}%"))
        if current:
            runs.append(" ".join(current))
        series.append(Series(label, COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)], tuple(runs), tuple(points)))
    step = max(1, (len(days) + 5) // 6)
    x_ticks = tuple(Tick(x(i), days[i][5:]) for i in range(0, len(days), step))
    y_ticks = tuple(Tick(y(v / 100), f"{v}%") for v in (0, 25, 50, 75, 100))
    return LineChart(width, height, left, top, right, bottom, tuple(series), x_ticks, y_ticks)
