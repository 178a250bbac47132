"""The rule tables a city edits without SQL: problem categories and their deadlines, sources, point types,
checklists (items, weights, 测评标准), coverage rules, department rules (职能部门分工), the escalation ladder and its
settings, and the working-day calendar (a day at a time or a year's 放假/调休 list from a CSV).

One declarative spec per table (`tables.py`: key, editable columns with their checks, what "in use" means), one
service over them all (`edit.py`: list, create, update, retire, delete; each write audited with before and after);
a row that something uses is only retired, never deleted. Only city-wide callers write (the router asks for the
`manage_rules` permission). Its `schemas` module holds the API's answers about them.
"""
