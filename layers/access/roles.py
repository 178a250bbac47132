"""The access roles: what each may do, which need a region, and which may create which accounts.

`api/auth.py` imports PERMISSIONS and SCOPED_ROLES from here (one copy). Owner roles of the street-chief system
(路长, 网格员 …) are data, not these. `manage_rules` edits the city-wide rule tables (categories and deadlines,
sources, point types, checklists, coverage and department rules, the work calendar, the escalation ladder).
`run_rounds` runs 测评 rounds (create, sample, assign, start, close; flag 易失分 points): the 创城办 and district
offices, never the people whose places are assessed (street chiefs, grid workers) nor the inspectors who visit.
`publish` issues the campaign's numbered documents in the office's name: publishing and withdrawing a 通报 and
creating or cancelling a 交办单 (layers/campaign). It goes with the 创城办 (admin, city_office), not with district or
街道 staff: they read the 通报 and answer the 交办单 sent to their region (`handle_problems`), they do not issue them.
"""

from __future__ import annotations

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "report", "handle_problems", "edit_layers", "manage_people", "manage_tokens",
                        "manage_rules", "run_rounds", "publish"}),
    "city_office": frozenset({"read", "report", "handle_problems", "edit_layers", "manage_people", "manage_rules",
                              "run_rounds", "publish"}),
    "district_staff": frozenset({"read", "report", "handle_problems", "edit_layers", "manage_people", "run_rounds"}),
    "subdistrict_staff": frozenset({"read", "report", "handle_problems", "edit_layers", "manage_people"}),
    "street_chief": frozenset({"read", "report", "handle_problems"}),
    "grid_worker": frozenset({"read", "report", "handle_problems"}),
    "inspector": frozenset({"read", "report", "handle_problems"}),
    "viewer": frozenset({"read"}),
    "public": frozenset({"report"}),
}

# Roles that only make sense for one area must be given one.
SCOPED_ROLES = frozenset({"district_staff", "subdistrict_staff", "street_chief", "grid_worker"})

# Rank for account management: a member of staff (who may manage people) creates, resets and disables only
# accounts of a strictly lower rank, inside their own region. Admins manage every account.
RANK: dict[str, int] = {
    "admin": 100,
    "city_office": 80,
    "district_staff": 60,
    "subdistrict_staff": 40,
    "street_chief": 20,
    "grid_worker": 20,
    "inspector": 20,
    "viewer": 10,
    "public": 0,
}
assert RANK.keys() == PERMISSIONS.keys()


def permissions(role: str) -> frozenset[str]:
    return PERMISSIONS.get(role, frozenset())
