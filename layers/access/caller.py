"""Who is asking: the one value every service that reads or writes on someone's behalf takes.

Services take the caller, not an optional `scope=`, so a new route cannot forget the region: the API turns its
credentials (a token, or an account's session) into a Caller and hands it over whole. `SYSTEM` is for the CLI, the
demo and jobs run by the operator, which act city-wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gis.errors import Forbidden


@dataclass(frozen=True)
class Caller:
    actor: str  # as audit rows and problem events name them
    scope: str | None = None  # a region code prefix; None means the whole city
    permissions: frozenset[str] = field(default_factory=frozenset)
    role: str = ""
    token_id: int | None = None
    user_id: int | None = None  # set for a person logged in with an account (layers/access/users.py)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def covers(self, region_code: str | None) -> bool:
        """True when a row of this region lies inside the caller's scope."""
        if self.scope is None:
            return True
        return region_code is not None and region_code.startswith(self.scope)

    def require_covers(self, region_code: str | None, *, what: str, field: str | None = None) -> None:
        if not self.covers(region_code):
            raise Forbidden(f"{what} lies outside your region {self.scope}", field=field)


SYSTEM = Caller(actor="system", scope=None,
                permissions=frozenset({"read", "report", "handle_problems", "edit_layers", "manage_people",
                                       "manage_tokens", "publish"}),
                role="admin")
