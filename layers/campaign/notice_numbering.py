"""Document numbers in the office's style — `创城通〔2026〕第12号` for a 通报, `创城交〔2026〕第37号` for a 交办单 —
counted per kind and year, with no gaps and no repeats.

The counter is one row per kind and year, incremented by an upsert in the transaction that writes the document:
a second writer waits on the row lock until the first commits (and then counts on from it), and a transaction that
rolls back gives its number back, so the numbers issued are 1, 2, 3 … whatever happens. A sequence would be
faster and would leave holes (a number lost to every failed publish), which a register of documents may not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load

KINDS = ("notice", "dispatch")


@dataclass(frozen=True)
class Number:
    kind: str
    year: int
    seq: int
    prefix: str
    issuer: str

    @property
    def text(self) -> str:
        return f"{self.prefix}〔{self.year}〕第{self.seq}号"


def next_number(session: Session, kind: str, year: int) -> Number:
    """The next number of `kind` in `year`, taken for this transaction (held until it ends)."""
    if kind not in KINDS:
        raise InvalidInput(f"document kind must be one of {', '.join(KINDS)}", field="kind")
    row = session.execute(text(load(__file__, "notice_next_number")), {"kind": kind, "year": year}).one()
    return Number(kind, year, row.last, row.prefix, row.issuer)


def series(session: Session, kind: str) -> dict[str, str]:
    """The prefix and issuer of a kind (for a page that shows what the next number will look like)."""
    row = session.execute(text("SELECT prefix, issuer, name FROM document_series WHERE kind = :k"),
                          {"k": kind}).mappings().one()
    return dict(row)
