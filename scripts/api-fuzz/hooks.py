"""Schemathesis hooks for scripts/api-fuzz/run.sh.

Real clients send a fresh Idempotency-Key (a UUID) with each new request. Schemathesis draws
header values from a small space and repeats them across requests with different bodies, which
the API rightly refuses with 422 (a key reused for another request). Just before each call, a
valid key gets a UUID appended, so it stays valid and names one request; invalid keys are sent
as generated, so the API's rejection of them is still tested.
"""

import uuid

import schemathesis

HEADER = "Idempotency-Key"


def _valid_key(value):
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 255
        and all(33 <= ord(c) <= 126 for c in value)
    )


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    if _valid_key(headers.get(HEADER)):
        headers[HEADER] = f"{headers[HEADER][:222]}-{uuid.uuid4().hex}"
        case.headers = headers
