"""The CLI as a user runs it: exit codes and one readable error line."""

import json
import os
import subprocess
import sys
from pathlib import Path

CCGRID = str(Path(sys.executable).parent / "ccgrid")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CCGRID, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=120)


def test_import_rejects_with_one_line_and_exit_1(demo, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "无类型"},
                        "geometry": {"type": "Point", "coordinates": [115.15, 34.65]},
                    }
                ],
            },
            ensure_ascii=False,
        )
    )
    r = run("import", "assessment_points", str(path))
    assert r.returncode == 1
    assert "row 1, field 'point_type': is required" in r.stderr and "Traceback" not in r.stderr


def test_import_unknown_layer_and_missing_file(demo, tmp_path):
    r = run("import", "roads", str(tmp_path / "x.geojson"))
    assert r.returncode == 1 and "unknown layer 'roads'" in r.stderr
    r = run("import", "streets", str(tmp_path / "missing.geojson"))
    assert r.returncode == 1 and "file not found" in r.stderr


def test_import_then_export(demo, tmp_path):
    src = tmp_path / "toilets.csv"
    src.write_text("code,name,point_type,lon,lat\nCLI-WC-1,命令行公厕,公共厕所,115.1490,34.6490\n")
    r = run("import", "assessment_points", str(src))
    assert r.returncode == 0 and "1 new" in r.stdout, r.stderr
    r = run("import", "assessment_points", str(src))
    assert "0 new, 0 updated, 1 unchanged" in r.stdout
    out = tmp_path / "points.geojson"
    r = run("export", "assessment_points", str(out))
    assert r.returncode == 0
    codes = [f["properties"]["code"] for f in json.loads(out.read_text())["features"]]
    assert "CLI-WC-1" in codes


def test_grid_check_exit_code(demo):
    r = run("grid", "check", "--region", "411421001")
    assert r.returncode == 0 and "0 with gaps or overlaps" in r.stdout


def test_token_create_rejects_unknown_role(demo):
    r = run("token", "create", "--role", "mayor")
    assert r.returncode == 1 and "unknown role 'mayor'" in r.stderr


def test_owner_roster_coverage_and_duty_list(demo, tmp_path):
    from openpyxl import Workbook, load_workbook

    lane = __import__("tests.conftest", fromlist=["scalar"]).scalar(
        "SELECT min(name) FROM streets WHERE road_class = 'back_lane' AND region_code LIKE '411421002%'")
    wb = Workbook()
    wb.active.append(["姓名", "电话", "角色", "道路名称", "起始日期"])
    wb.active.append(["表格路长", "13500000077", "路长", lane, "2026-03-01"])
    wb.active.append(["无名路长", "13500000078", "路长", "查无此路", "2026-03-01"])
    wb.save(tmp_path / "roster.xlsx")
    r = run("owners", "import", str(tmp_path / "roster.xlsx"))
    assert r.returncode == 1 and "row 2, field 'street_name': no street named '查无此路'" in r.stderr
    r = run("owners", "import", str(tmp_path / "roster.xlsx"), "--skip-invalid")
    assert r.returncode == 0 and "1 rejected" in r.stdout and "assignments created" in r.stdout
    r = run("coverage", "ownership", "--region", "411421002")
    assert r.returncode == 0 and "required owners in place" in r.stdout and "411421002" in r.stdout
    out = tmp_path / "list.xlsx"
    assert run("owners", "export", str(out), "--region", "411421002").returncode == 0
    holders = {row[1] for row in load_workbook(out).active.iter_rows(min_row=2, values_only=True)}
    assert "表格路长" in holders
