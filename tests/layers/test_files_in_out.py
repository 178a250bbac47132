"""Files in and out under hostile or large input: zip members bounded before parsing, imports read in batches under
their own statement timeout, CSV exports escaped like the workbooks."""

import csv
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import LineString
from sqlalchemy import text

from gis.db import transaction
from gis.errors import InvalidInput, QueryTooSlow
from gis.settings import get_settings
from layers.access.caller import Caller
from layers.ledger.bulk_import import import_problems
from layers.registry.roster import import_roster
from layers.spatial.catalog import layer
from layers.spatial.io import export_layer, import_file
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar
from tests.crafted import town

LON, LAT = 114.40, 34.20
LIMIT = 200_000  # the test's CCGRID_MAX_UNZIPPED_BYTES


@pytest.fixture(scope="module")
def place(database):
    return town("419971", LON, LAT)


@pytest.fixture
def small_zip_limit(monkeypatch):
    monkeypatch.setattr(get_settings(), "max_unzipped_bytes", LIMIT)


def _padded_xlsx(path: Path, header: list[str], row: list[object], padding: int) -> Path:
    """A real workbook whose sheet XML carries `padding` bytes of whitespace between elements (valid XML that
    deflates to almost nothing), as in the 1.3 MB roster that unpacked to 1.28 GB."""
    wb = Workbook()
    wb.active.append(header)
    wb.active.append(row)
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * padding)
            dst.writestr(item, data)
    plain.unlink()
    return path


def _read_layer(path: Path):
    with transaction() as s:
        return import_file(s, layer("assessment_points"), path, actor="test")


def _read_roster(path: Path):
    with transaction() as s:
        return import_roster(s, path, caller=Caller("test"))


def _read_problems(path: Path):
    with transaction() as s:
        return import_problems(s, path, actor="test")


@pytest.mark.parametrize("reader", [_read_layer, _read_roster, _read_problems], ids=["layer", "roster", "problems"])
def test_xlsx_whose_sheet_unpacks_past_the_limit_is_refused_before_parsing(place, tmp_path, small_zip_limit, reader):
    path = _padded_xlsx(tmp_path / "bomb.xlsx", ["名称", "类型", "经度", "纬度"], ["炸弹", "公共厕所", LON, LAT],
                        padding=LIMIT * 2)
    assert path.stat().st_size < 20_000  # small on disk, big inside
    with pytest.raises(InvalidInput) as info:
        reader(path)
    assert info.value.field == "path" and "xl/worksheets/sheet1.xml" in info.value.message
    assert "CCGRID_MAX_UNZIPPED_BYTES" in info.value.message and f"{LIMIT:,}" in info.value.message


def test_xlsx_within_the_limit_still_imports(place, tmp_path, small_zip_limit):
    path = _padded_xlsx(tmp_path / "ok.xlsx", ["code", "名称", "类型", "经度", "纬度"],
                        ["XLSX-OK-1", "表格公厕", "公共厕所", LON + 0.001, LAT + 0.001], padding=LIMIT // 4)
    assert _read_layer(path).inserted == 1
    assert scalar("SELECT name FROM assessment_points WHERE code = 'XLSX-OK-1'") == "表格公厕"


def test_zipped_shapefile_member_past_the_limit_is_refused(place, tmp_path, small_zip_limit):
    lines = [LineString([(LON + 0.0001 * i, LAT + 0.001), (LON + 0.0001 * i, LAT + 0.002)]) for i in range(3000)]
    gdf = gpd.GeoDataFrame({"name": [f"路{i}" for i in range(3000)], "road_class": ["branch"] * 3000},
                           geometry=lines, crs=4490)
    gdf.to_file(tmp_path / "big.shp", engine="pyogrio", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for part in tmp_path.glob("big.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    assert (tmp_path / "big.dbf").stat().st_size > LIMIT
    with pytest.raises(InvalidInput, match="CCGRID_MAX_UNZIPPED_BYTES") as info:
        with transaction() as s:
            import_file(s, layer("streets"), tmp_path / "big.zip", actor="test")
    assert info.value.field == "path"
    assert scalar("SELECT count(*) FROM streets WHERE region_code LIKE '419971%'") == 0


def _points_geojson(path: Path, n: int, bad: set[int] = frozenset()) -> Path:
    feats = [{"type": "Feature",
              "properties": {"code": f"{path.stem}-{i}", "name": f"批量点{i}",
                             "point_type": "无此类型" if i in bad else "公共厕所"},
              "geometry": {"type": "Point", "coordinates": [LON + 0.0001 * i, LAT + 0.0001 * i]}}
             for i in range(1, n + 1)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False))
    return path


def test_import_reads_in_batches_and_numbers_rows_across_them(place, tmp_path):
    path = _points_geojson(tmp_path / "points.geojson", 7, bad={6})
    stages = []
    with pytest.raises(RowsRejected) as info:
        with transaction() as s:
            import_file(s, layer("assessment_points"), path, actor="test", batch_rows=2,
                        progress=lambda stage, done, total: stages.append((stage, done, total)))
    assert [(r.row, r.field) for r in info.value.rejections] == [(6, "point_type")]
    assert [p for p in stages if p[0] == "读取"] == [("读取", 2, 7), ("读取", 4, 7), ("读取", 6, 7), ("读取", 7, 7)]
    assert scalar("SELECT count(*) FROM assessment_points WHERE code LIKE 'points-%'") == 0  # one transaction
    with transaction() as s:
        result = import_file(s, layer("assessment_points"), path, actor="test", batch_rows=2, skip_invalid=True)
    assert (result.inserted, [r.row for r in result.rejected]) == (6, [6])


def test_csv_read_in_batches_keeps_row_numbers(place, tmp_path):
    path = tmp_path / "pts.csv"
    rows = [f"CSVB-{i},点{i},公共厕所,{LON + 0.0001 * i},{LAT + 0.0001 * i}" for i in range(1, 6)]
    rows[3] = "CSVB-4,点4,公共厕所,not-a-number,34.3"
    path.write_text("code,name,point_type,lon,lat\n" + "\n".join(rows) + "\n")
    with pytest.raises(RowsRejected) as info:
        with transaction() as s:
            import_file(s, layer("assessment_points"), path, actor="test", batch_rows=2)
    assert [(r.row, r.field) for r in info.value.rejections] == [(4, "lon")]


class _Rollback(Exception):
    pass


def _with_slow_statement(s) -> None:
    """Every audit line takes 0.3 s (rolled back with the test's transaction)."""
    s.execute(text("CREATE FUNCTION pg_temp.slow() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END$$"))
    s.execute(text("CREATE TRIGGER slow_audit AFTER INSERT ON audit_log FOR EACH STATEMENT "
                   "EXECUTE FUNCTION pg_temp.slow()"))


def test_import_runs_under_its_own_statement_timeout_not_the_request_one(place, tmp_path):
    path = _points_geojson(tmp_path / "slow.geojson", 3)
    with pytest.raises(_Rollback):
        with transaction() as s:
            s.execute(text("SET LOCAL statement_timeout = 100"))  # as a request's 30 s, scaled down
            _with_slow_statement(s)
            result = import_file(s, layer("assessment_points"), path, actor="test")
            assert result.inserted == 3
            raise _Rollback


def test_import_timeout_speaks_of_the_import(place, tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "import_statement_timeout_ms", 100)
    path = _points_geojson(tmp_path / "slow.geojson", 3)
    with pytest.raises(QueryTooSlow) as info:
        with transaction() as s:
            _with_slow_statement(s)
            import_file(s, layer("assessment_points"), path, actor="test")
    message = info.value.message
    assert "the import of slow.geojson" in message and "CCGRID_IMPORT_STATEMENT_TIMEOUT_MS=100" in message
    assert "narrow the request" not in message


def test_csv_export_escapes_formula_cells(place, tmp_path):
    names = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "普通公厕"]
    src = tmp_path / "formulas.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "point_type", "lon", "lat"])
        w.writerows([f"FX-{i}", n, "公共厕所", LON + 0.002 + 0.0001 * i, LAT + 0.003] for i, n in enumerate(names))
    with transaction() as s:
        assert import_file(s, layer("assessment_points"), src, actor="test").inserted == len(names)
    out = tmp_path / "points.csv"
    with transaction() as s:
        export_layer(s, layer("assessment_points"), out, scope="419971")
    with out.open(newline="") as fh:
        exported = {r["code"]: r["name"] for r in csv.DictReader(fh) if r["code"].startswith("FX-")}
    assert exported == {f"FX-{i}": ("'" + n if i < 4 else n) for i, n in enumerate(names)}
    # The GeoJSON export is data, not a spreadsheet: names as stored.
    geo = tmp_path / "points.geojson"
    with transaction() as s:
        export_layer(s, layer("assessment_points"), geo, scope="419971")
    props = [f["properties"] for f in json.loads(geo.read_text())["features"]]
    assert {p["name"] for p in props if p["code"] == "FX-0"} == {names[0]}
