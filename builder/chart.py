"""The geometry of a claims chart: values over time, one series per claimant.

Pure numbers for the template to draw as inline SVG; no JavaScript, no images.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 16, 40


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str
    """What a reader hovering or reading the SVG source learns: value, date, claimant."""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    index: int
    """Which of the stylesheet's series colours and marker shapes it takes."""
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


Observation = tuple[str, dt.date, float | int]
"""(claimant, as of, value)."""


def line_chart(observations: Sequence[Observation]) -> Chart:
    first = min(o[1] for o in observations)
    last = max(o[1] for o in observations)
    span = max((last - first).days, 1)
    top = _nice_ceiling(max(o[2] for o in observations))
    lowest = min(o[2] for o in observations)
    low = -_nice_ceiling(-lowest) if lowest < 0 else 0.0  # the axis includes 0

    def x(day: dt.date) -> float:
        if first == last:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (value - low) / (top - low)

    names = list(dict.fromkeys(o[0] for o in observations))
    series = tuple(
        Series(name, index % 6, tuple(
            Point(x(day), y(value), f"{name}: {format_number(value)} as of {day.isoformat()}")
            for claimant, day, value in sorted(observations, key=lambda o: o[1])
            if claimant == name))
        for index, name in enumerate(names))
    steps = [low + (top - low) * i / 4 for i in range(5)]
    y_ticks = tuple(Tick(y(value), format_number(value)) for value in steps)
    x_ticks = tuple(Tick(x(day), day.isoformat()) for day in _date_ticks(first, last))
    return Chart(WIDTH, HEIGHT, series, x_ticks, y_ticks)


def format_number(value: float | int) -> str:
    """847,860 for whole numbers, whatever their type; two decimals otherwise."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _nice_ceiling(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at or above `value` (and above zero)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value))


def _date_ticks(first: dt.date, last: dt.date) -> list[dt.date]:
    if first == last:
        return [first]
    span = (last - first).days
    return [first + dt.timedelta(days=round(span * i / 3)) for i in range(4)]
