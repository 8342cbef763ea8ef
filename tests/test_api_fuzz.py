"""A property-based fuzzer for the JSON API: Schemathesis reads `/api/v1/openapi.json` as the
app serves it and generates requests for every operation, schema-valid ones and invalid ones,
anonymous, with an officer's token and with an agent's token, on SQLite and on PostgreSQL,
against the WSGI app in-process. Every answer must be no 5xx, a status the document lists
for that operation, of the documented media type, with a body and headers that match the
documented schema.

Bounded and reproducible: `EXAMPLES` cases per operation, identity, engine and mode,
derandomized (the same cases on every run), no Hypothesis database. The figures of a run
(operations, cases, answers by status, 5xx, violations) are written to
`tests/artifacts/api_fuzz.json` and printed in the run's summary. About 3 minutes on both
engines: marked `slow` (`-m "not slow"` while working; `make test` runs it).
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.exc import DataError

from kiosk import create_app
from kiosk.domain.accounts import create_token

from .conftest import ARTIFACTS, RUN_FIGURES, SPEC, _empty_pg

#: Cases per operation, identity, engine and generation mode.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Who asks: nobody, a counter officer's token, a BIDV agent's token.
IDENTITIES = {"anonymous": None, "staff": "canbo", "agent": "daily"}

#: Operations not fuzzed, and why: the only place an operation is left out.
EXCLUDED: dict[tuple[str, str], str] = {
    ("GET", "/queue/events"): "an endless Server-Sent Events stream (its own tests read it: "
    "tests/test_queue_web.py)",
}
INT32 = 2**31 - 1


def _huge_int(value: Any) -> bool:
    """Whether `value` holds an integer beyond a 32-bit column (anywhere inside it)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > INT32
    if isinstance(value, str):
        return value.strip().lstrip("-").isdigit() and abs(int(value)) > INT32
    if isinstance(value, dict):
        return any(_huge_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_huge_int(v) for v in value)
    return False


def _hole_11(case: Any, exc: BaseException) -> bool:
    """Hole 11: an id or offset beyond the column's range reaches the database (a 500):
    PostgreSQL's "integer out of range", SQLite's OverflowError."""
    raised = (isinstance(exc, DataError) and "out of range" in str(exc)) or (
        isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc))  # fmt: skip
    parts = (case.path_parameters, case.query, case.body)
    return raised and any(_huge_int(p) for p in parts if p is not None)


#: 5xx the fuzzer gets today because of a hole of issue 17 fixed on another branch: each is
#: recognised narrowly (the hole's own exception, on the hole's own input) and counted in the
#: figures instead of failing; any other 5xx fails. Empty it once the fixes are merged.
KNOWN_HOLES: dict[str, Callable[[Any, BaseException], bool]] = {}

OPERATIONS = [
    (method.upper(), path)
    for path, ops in SPEC["paths"].items()
    for method in ops
    if method in ("get", "post", "put", "patch", "delete")
]


@dataclass
class Figures:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    server_errors: int = 0
    violations: list[str] = field(default_factory=list)
    known_holes: collections.Counter[str] = field(default_factory=collections.Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operations": len(self.operations),
            "cases": self.cases,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "5xx": self.server_errors,
            "violations": len(self.violations),
            "violating": sorted(set(self.violations)),
            "5xx of known holes": dict(self.known_holes),
        }


FIGURES: dict[str, Figures] = collections.defaultdict(Figures)


@dataclass
class Fuzzed:
    app: Flask
    schema: Any
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                marks=pytest.mark.postgres)])  # fmt: skip
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        Fuzzed]:  # fmt: skip
    tmp = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'kiosk.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        _empty_pg(url)
    app = create_app({"INSTANCE_PATH": str(tmp / "instance"), "DATABASE_URL": url,
                      "SECRET_KEY": "fuzz-test-secret-key-0123456789-abcdef",
                      "PUBLIC_URL": "http://kiosk.test",
                      # Past the citizens' look-up limit every look-up reads 429 (its own
                      # tests hold it): the fuzzer would stop reaching the look-ups themselves.
                      "STATUS_LOOKUPS_PER_MINUTE": 1_000_000})  # fmt: skip
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    s = app.extensions["kiosk.sessionmaker"]()
    headers = {
        who: {"Authorization": f"Bearer {create_token(s, name)}"} if name else {}
        for who, name in IDENTITIES.items()
    }
    s.close()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    yield Fuzzed(app, schema, headers)
    hub = app.extensions.get("kiosk.hub")
    if hub is not None:
        hub.stop()
    app.extensions["kiosk.engine"].dispose()
    _write_figures()


def _write_figures() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = {engine: f.as_dict() for engine, f in sorted(FIGURES.items())}
    (ARTIFACTS / "api_fuzz.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    RUN_FIGURES["API fuzzer (tests/test_api_fuzz.py)"] = out


def _cases() -> list[Any]:
    out = []
    for method, path in OPERATIONS:
        if (method, path) in EXCLUDED:
            continue
        for who in IDENTITIES:
            for mode in ("positive", "negative"):
                out.append(
                    pytest.param(method, path, who, mode, id=f"{method} {path} {who} {mode}")
                )
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "who", "mode"), _cases())
def test_the_api_answers_as_documented(
    fuzzed: Fuzzed, request: pytest.FixtureRequest, method: str, path: str, who: str, mode: str
) -> None:
    engine = request.node.callspec.id.split("-")[0]
    figures = FIGURES[engine]
    operation = fuzzed.schema[path][method]
    figures.operations.add(f"{method} {path}")
    strategy = operation.as_strategy(GenerationMode(mode), headers=fuzzed.headers[who] or None)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], print_blob=False,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def fuzz(case: Any) -> None:
        figures.cases += 1
        try:
            response = case.call()
        except Exception as exc:  # the app raised: Schemathesis hands on a 500's exception
            figures.server_errors += 1
            hole = next((h for h, seen in KNOWN_HOLES.items() if seen(case, exc)), None)
            if hole is not None:
                figures.known_holes[hole] += 1
                return
            figures.violations.append(f"{method} {path} ({who}, {mode}) 500")
            raise
        figures.statuses[response.status_code] += 1
        if response.status_code >= 500:
            figures.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException:
            figures.violations.append(f"{method} {path} ({who}, {mode}) {response.status_code}")
            raise

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing of this operation can be made schema-invalid (e.g. one path parameter that
        # takes any string): its positive run covers it.
        assert mode == "negative"


def test_every_operation_is_fuzzed_or_excluded_with_a_reason() -> None:
    assert EXCLUDED.keys() <= set(OPERATIONS)
    assert all(EXCLUDED.values())


def _raw(base: str, request_bytes: bytes) -> tuple[int, str, bytes]:
    """Send bytes as they are; the status, Content-Type and body of the answer."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request_bytes)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), body


def test_the_servers_own_refusals_are_documented(tmp_path: Path) -> None:
    """What gunicorn answers before the app sees a request (414, 431, 400 as HTML) and the
    app's refusal of a NUL character (400 as JSON) are in openapi.json, for every operation."""
    from .conftest import running_server, valid

    def documented(status: int, media: str) -> None:
        for template, ops in SPEC["paths"].items():
            for method in ops:
                ref = SPEC["paths"][template][method]["responses"][str(status)]["$ref"]
                name = ref.rsplit("/", 1)[1]
                assert media in SPEC["components"]["responses"][name]["content"], (template, status)

    with running_server(tmp_path) as base:
        long_line = b"GET /api/v1/procedures?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, media, _ = _raw(base, long_line)
        assert (status, media) == (414, "text/html")
        documented(414, "text/html")
        big = b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n"
        status, media, _ = _raw(base, big)
        assert (status, media) == (431, "text/html")
        documented(431, "text/html")
        bad = b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"
        status, media, _ = _raw(base, bad)
        assert (status, media) == (400, "text/html")
        documented(400, "text/html")
        nul = b"GET /api/v1/services?x=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        status, media, body = _raw(base, nul)
        assert (status, media) == (400, "application/json")
        valid(json.loads(body), "/services", "get", 400)
