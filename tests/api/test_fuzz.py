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
    # The fuzzer asks "never a 5xx", not how fast: an unfiltered export of everything the earlier tests wrote is a
    # file of tens of thousands of rows (about 6,000 rows/s as Excel), past the client's 10 s default.
    response = case.call(headers=admin_headers, timeout=120)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
