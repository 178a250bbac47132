from sqlalchemy import text

from gis.db import transaction
from layers.demo import city as demo_city
from layers.spatial import grid


def test_demo_city_is_real_and_complete(demo):
    assert demo["regions"] >= 10 and demo["streets"] > 500 and demo["grid_cells"] > 1000
    with transaction() as s:
        district = s.execute(text("SELECT name, ST_Area(geom_m) / 1e6 FROM regions WHERE code = '411421'")).one()
        types = s.execute(text("SELECT count(DISTINCT point_type) FROM assessment_points")).scalar()
        synthetic = s.execute(
            text(
                "SELECT bool_and((properties->>'synthetic')::boolean) FROM regions WHERE level <> 'district' "
                "AND code LIKE '411421%'"
            )
        ).scalar()
        checks = grid.check(s, "411421")
    assert district[0] == "民权县" and 1100 < district[1] < 1350  # the real county is about 1,222 km²
    assert types == len(demo_city.POINT_WEIGHTS) + len(demo_city.FACILITY_TYPES)
    assert synthetic is True
    assert all(not c["gaps"] and not c["overlaps"] for c in checks)


def test_demo_reload_is_a_no_op(demo):
    stamp = "SELECT (SELECT max(updated_at) FROM streets), (SELECT max(updated_at) FROM grid_cells)"
    with transaction() as s:
        before_counts = demo_city.counts(s)
        before = s.execute(text(stamp)).one()
    with transaction() as s:
        again = demo_city.load(s, scale="small", seed=2021)
    with transaction() as s:
        assert s.execute(text(stamp)).one() == before
    assert again == before_counts


def test_demo_can_be_cleared_with_its_registry_problems_and_patrols(demo):
    """What `demo load --force` (or another scale) does first; rolled back so other tests keep the city."""
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM patrols WHERE created_by = 'demo'")).scalar() > 0
        s.execute(text("SET LOCAL statement_timeout = 0"))
        demo_city.clear(s)
        left = s.execute(text("""SELECT (SELECT count(*) FROM regions WHERE code LIKE '411421%'),
                                         (SELECT count(*) FROM problems WHERE region_code LIKE '411421%'),
                                         (SELECT count(*) FROM people WHERE name LIKE '%（示例）'),
                                         (SELECT count(*) FROM patrols WHERE created_by = 'demo')""")).one()
        s.rollback()
    assert tuple(left) == (0, 0, 0, 0)
