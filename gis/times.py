"""Instants as the API receives them: a naive time is a wall-clock time in the city, and only sane years pass.

The city's clock is Asia/Shanghai (no DST), as in the database session (gis.db). A client that sends
`2026-05-01T08:00` means eight in the morning in the city, not in UTC; one that sends year 1 or 9999 has made a
mistake that would otherwise overflow a conversion and end as a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

CITY_TZ = ZoneInfo("Asia/Shanghai")
# Wide enough for any record a city keeps or a deadline it sets; narrow enough that no conversion overflows.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def city_time(value: datetime) -> datetime:
    """The instant, aware: naive values are read in the city's time zone; years outside 1900–2200 are refused."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=CITY_TZ)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year {value.year} is outside {EARLIEST_YEAR}–{LATEST_YEAR}")
    return value


# Use for every datetime a request carries (query parameters and body fields alike).
CityDatetime = Annotated[datetime, AfterValidator(city_time)]
