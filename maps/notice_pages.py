"""What the 通报, 交办单 and 负面清单 pages show besides the services' answers: the periods offered (the last complete
ones first, any code typed is taken), the printable notice's photos as data: URLs (the page needs nothing but
itself to print), and the names the templates use."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from gis import periods
from layers.campaign.notice_snapshot import LEVEL_NAMES
from maps.notice_document import Block, blocks

LEVEL_CHOICES = LEVEL_NAMES
PERIOD_KINDS = (("week", 6), ("month", 4), ("bimonth", 3), ("quarter", 2))


def period_choices(today: date) -> list[dict[str, Any]]:
    """Recent complete periods to offer: the last six weeks, four months, three bi-months, two quarters."""
    out = []
    for kind, n in PERIOD_KINDS:
        out += [{"code": p.code, "label": p.label, "kind": periods.KIND_NAMES[kind]}
                for p in periods.recent(kind, today, n)]
    return out


def default_period(today: date) -> str:
    """A weekly 通报 by default: the last complete week."""
    return periods.last_complete("week", today).code


def photo_urls(photos: dict[int, bytes]) -> dict[int, str]:
    return {seq: "data:image/jpeg;base64," + base64.b64encode(jpeg).decode() for seq, jpeg in photos.items()}


def document(snapshot: dict[str, Any]) -> list[Block]:
    return blocks(snapshot)
