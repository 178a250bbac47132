"""api/ is HTTP and CLI only, and serving does not load the embedded-cluster tooling."""

import ast
import re
import subprocess
import sys
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|SET LOCAL|CREATE|DROP|ALTER)\b")


def test_no_sql_text_in_api():
    found = []
    for path in sorted(API.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{path.relative_to(API.parent)}:{node.lineno}: {node.value.strip()[:60]!r}")
    assert not found, "SQL belongs in a service of layers/, not in api/:\n" + "\n".join(found)


def test_serving_does_not_import_the_cluster_tooling():
    code = "import sys, api.app; print('gis.cluster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_every_documented_variable_is_a_setting():
    # README's configuration table is the contract: settings split by concern keep every CCGRID_ name.
    from gis.settings import Settings
    from maps.settings import MapSettings

    readme = (API.parent / "README.md").read_text()
    documented = {m.lower() for m in re.findall(r"^\| `CCGRID_(\w+)`", readme, re.M)}
    fields = set(Settings.model_fields) | set(MapSettings.model_fields)
    assert documented and documented <= fields, documented - fields
    assert not set(Settings.model_fields) & set(MapSettings.model_fields)  # each variable read by one class
