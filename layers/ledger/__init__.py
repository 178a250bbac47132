"""The problem ledger: intake and routing, placement, duplicates, bulk import, the lifecycle, the working-day
calendar, escalation, inspections (patrols, checklists, visits), the 三本账 and indicators, monthly partitions and the
pre-binned counts. Its `schemas` module holds the API's answers about them, Open311 GeoReport v2 included."""
