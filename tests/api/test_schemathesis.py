"""Schemathesis against the app's own OpenAPI document, in-process (ASGI).

Every documented operation gets generated requests, as a root administrator and as a
handler of one township: no answer may be a 5xx, break its documented schema or carry
an undocumented content type. A bounded number of examples keeps it under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.api.conftest import Tokens

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.slow
@pytest.mark.parametrize("user", ["root", "handler-a"])
def test_no_generated_request_breaks_the_api(
    app: FastAPI, tokens: Tokens, cameras: dict[str, str], user: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = tokens.headers(user)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    strategy = st.one_of(*[operation.as_strategy() for operation in operations])

    @settings(
        max_examples=EXAMPLES_PER_OPERATION * len(operations),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def exercise(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    exercise()
