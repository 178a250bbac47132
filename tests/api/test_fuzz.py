"""Property-based fuzzing of every operation in the OpenAPI schema: whatever is sent, never a 5xx.

Runs last (see conftest) because it writes whatever it manages to get accepted.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture(scope="module")
def admin_headers(admin):
    return admin


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, admin_headers):
    response = case.call(headers=admin_headers)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
