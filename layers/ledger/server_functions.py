"""The ledger's server functions, each a whole `.sql` file in layers/ledger/sql/ (pgstac's practice), applied by
`ccgrid db migrate` in a fixed order; each has its own test calling it in SQL (tests/layers/test_server_functions.py).

- `ccgrid_intake`: one report's intake in one round trip instead of five (over HTTP that is most of what taking a
  report costs: bench/intake.py). Called by layers/ledger/intake.py:receive.
- `ccgrid_department_rule_rank`: how specific a department rule is (intake picks the 主办 department by it).
- `ccgrid_problem_owners`, `ccgrid_problem_photos`: a problem's owners and departments, its photos, as JSON, for
  `ccgrid_problem_json` (whose two branches both need them).
- `ccgrid_problem_json`: a problem as the JSON the API sends, with a kept generic plan. Called by
  layers/ledger/intake.py:get_json, and by receive in the same statement as the intake.

They follow the code, not an Alembic revision: `install` drops every version of them and creates them again.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.sql import load

# In the order they are created; `drop_server_functions.sql` names the same functions.
FUNCTIONS = ("ccgrid_department_rule_rank", "ccgrid_problem_owners", "ccgrid_problem_photos", "ccgrid_problem_json",
             "ccgrid_intake")


def install(conn: Connection) -> None:
    """(Re)create the ledger's server functions as this version of the code writes them."""
    conn.execute(text(load(__file__, "drop_server_functions")))
    for name in FUNCTIONS:
        conn.execute(text(load(__file__, name)))
