"""Property-based checks of the JSON API from its own OpenAPI schema (schemathesis), on the real app with the
real bot in this process: every generated request, valid or not, gets a documented status with a body of the
documented shape, never a 500. Bounded: a fixed number of examples per operation, derandomized."""

from __future__ import annotations

import dataclasses

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

MAX_EXAMPLES = 15


@pytest.fixture(scope="module")
def api_schema(settings, bot, tmp_path_factory):
    from bot.web.app import create_app

    folder = tmp_path_factory.mktemp("schema")
    app_settings = dataclasses.replace(
        settings, rate_limit_per_minute=0, feedback_path=folder / "feedback.jsonl"
    )  # no rate limit: every example reaches the handlers
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(app_settings, bot))


def test_api_matches_its_schema_and_never_fails(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {"POST /api/chat", "GET /api/health"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case):
            response = case.call(timeout=120)  # a busy machine may be slow; nothing here asserts on time
            assert response.status_code < 500, (case.path, response.text[:500])
            assert "Traceback" not in response.text
            case.validate_response(response)

        check()
