"""The campaign's rhythm: 测评 rounds (模拟测评, 暗访, 双月测评) — a period, a scope, a seeded stratified sample of
assessment points assigned to inspectors, checklist visits that count for the round, and its score rates.

rounds.py (the round and its states), sampling.py (the sample), round_assign.py (inspectors), round_visits.py
(a visit that counts for a round), round_results.py (score rates, 失分条目, comparison, coverage), round_weak.py
(易失分/易反弹 points), round_schemas.py (the API's answers). SQL in sql/round_*.sql and sql/sampling_*.sql.
"""
