"""Periods: one code per week, month, bi-month, quarter and year, and their bounds."""

from datetime import date

import pytest

from gis import periods
from gis.errors import InvalidInput


@pytest.mark.parametrize(("code", "kind", "start", "end"), [
    ("2026-W49", "week", date(2026, 11, 30), date(2026, 12, 7)),
    ("2026-11", "month", date(2026, 11, 1), date(2026, 12, 1)),
    ("2026-B6", "bimonth", date(2026, 11, 1), date(2027, 1, 1)),
    ("2026-B1", "bimonth", date(2026, 1, 1), date(2026, 3, 1)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-W53", "week", None, None),
])
def test_codes_name_their_span(code, kind, start, end):
    if start is None:  # 2026 has 53 ISO weeks; 2025 has not
        assert periods.parse(code).end == date(2027, 1, 4)
        with pytest.raises(InvalidInput):
            periods.parse("2025-W53")
        return
    p = periods.parse(code)
    assert (p.kind, p.start, p.end, p.code) == (kind, start, end, code)
    assert p.previous().end == p.start and p.next().start == p.end
    assert periods.parse(p.code) == p


def test_previous_crosses_the_year_and_labels_read_as_a_notice_does():
    assert periods.parse("2026-B1").previous().code == "2025-B6"
    assert periods.parse("2026-W01").previous().code == "2025-W52"
    assert periods.parse("2026-B6").label == "2026年第6双月（11—12月）"
    assert periods.parse("2026-W49").label == "2026年第49周（11.30—12.06）"


def test_last_complete_is_the_one_before_today():
    today = date(2026, 12, 7)
    assert periods.last_complete("week", today).code == "2026-W49"
    assert periods.last_complete("month", today).code == "2026-11"
    assert periods.last_complete("bimonth", today).code == "2026-B5"
    assert periods.last_complete("quarter", today).code == "2026-Q3"
    assert [p.code for p in periods.recent("bimonth", today, 3)] == ["2026-B5", "2026-B4", "2026-B3"]


@pytest.mark.parametrize("bad", ["2026-B7", "2026-B0", "2026-13", "2026-Q5", "26-11", "2026-W60", "", "1800"])
def test_bad_codes_name_the_field(bad):
    with pytest.raises(InvalidInput) as e:
        periods.parse(bad, field="period")
    assert e.value.field == "period"
