from __future__ import annotations

import datetime as dt

from builder.chart import HEIGHT, WIDTH, line_chart

D = dt.date


def test_points_follow_the_claims() -> None:
    chart = line_chart([("General Staff", D(2025, 1, 1), 800_000),
                        ("General Staff", D(2025, 2, 1), 850_000),
                        ("Mediazona", D(2025, 1, 15), 90_000)])
    staff, media = chart.series
    assert staff.name == "General Staff" and len(staff.points) == 2
    assert staff.points[0].x == chart.plot_left and staff.points[1].x == chart.plot_right
    assert staff.points[1].y < staff.points[0].y < media.points[0].y  # higher value, higher up
    assert chart.y_ticks[-1].label == "1,000,000"
    assert "850,000 as of 2025-02-01" in staff.points[1].label
    for series in chart.series:
        for point in series.points:
            assert 0 <= point.x <= WIDTH and 0 <= point.y <= HEIGHT


def test_a_single_claim_sits_in_the_middle() -> None:
    chart = line_chart([("Zelensky", D(2025, 2, 4), 45_000)])
    (point,) = chart.series[0].points
    assert point.x == (chart.plot_left + chart.plot_right) / 2
    assert [t.label for t in chart.x_ticks] == ["2025-02-04"]
