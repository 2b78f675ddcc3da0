"""Property-based run over the OpenAPI schema: no generated request makes the API answer 5xx.

Bounded (a few examples per operation) so it stays well under a minute per backend; requests carry a
real user's token so generation reaches the handlers rather than stopping at 401.
"""

from __future__ import annotations

import schemathesis
from api_support import Api
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from gentrade.api.executor import LocalExecutor

EXAMPLES_PER_OPERATION = 15


class _NoRun(LocalExecutor):
    """Queue but never run: the property is about the HTTP layer, not about thousands of freqtrade runs."""

    def submit(self, backtest_id: int, *, request_id: str | None) -> None:
        return None


def test_no_server_errors(api: Api) -> None:
    app = api.client.app
    services = app.state.services
    original_executor, original_limit = services.executor, services.backtest_limiter.capacity
    services.executor = _NoRun(services.sessions, services.settings)
    headers = api.user()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    try:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()  # an operation schemathesis cannot read: say why
            operation = result.ok()

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def check(case: schemathesis.Case) -> None:
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
                    )
                    return
                if response.status_code < 300 or response.status_code == 422:
                    case.validate_response(response, checks=[response_schema_conformance])

            check()
    finally:
        services.executor.shutdown()
        services.executor = original_executor
        services.backtest_limiter.capacity = original_limit
    assert failures == [], "\n".join(failures[:10])
