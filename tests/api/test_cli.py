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
