"""The meta-package presents every implementation module under its upstream ``starlette.*`` name."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import starlette_middleware

ALIASES = {
    "starlette.types": "starlette_core.types",
    "starlette.status": "starlette_core.status",
    "starlette.datastructures": "starlette_core.datastructures",
    "starlette.exceptions": "starlette_core.exceptions",
    "starlette.background": "starlette_core.background",
    "starlette.concurrency": "starlette_core.concurrency",
    "starlette.config": "starlette_core.config",
    "starlette.requests": "starlette_core.requests",
    "starlette.responses": "starlette_core.responses",
    "starlette.websockets": "starlette_core.websockets",
    "starlette.formparsers": "starlette_core.formparsers",
    "starlette._utils": "starlette_core._utils",
    "starlette._exception_handler": "starlette_core._exception_handler",
    "starlette.middleware.base": "starlette_middleware.base",
    "starlette.middleware.cors": "starlette_middleware.cors",
    "starlette.middleware.gzip": "starlette_middleware.gzip",
    "starlette.middleware.sessions": "starlette_middleware.sessions",
    "starlette.middleware.trustedhost": "starlette_middleware.trustedhost",
    "starlette.middleware.httpsredirect": "starlette_middleware.httpsredirect",
    "starlette.middleware.errors": "starlette_middleware.errors",
    "starlette.middleware.exceptions": "starlette_middleware.exceptions",
    "starlette.middleware.wsgi": "starlette_middleware.wsgi",
    "starlette.middleware.body_limit": "starlette_middleware.body_limit",
    "starlette.middleware.opentelemetry": "starlette_routing.opentelemetry",
    "starlette.convertors": "starlette_routing.convertors",
    "starlette.routing": "starlette_routing.routing",
    "starlette.endpoints": "starlette_routing.endpoints",
    "starlette.applications": "starlette_routing.applications",
    "starlette.staticfiles": "starlette_routing.staticfiles",
    "starlette.templating": "starlette_routing.templating",
    "starlette.schemas": "starlette_routing.schemas",
    "starlette.graphql": "starlette_routing.graphql",
    "starlette.authentication": "starlette_auth.authentication",
    "starlette.middleware.authentication": "starlette_auth.middleware",
    "starlette.testclient": "starlette_testing.testclient",
}


@pytest.mark.parametrize(("public", "implementation"), sorted(ALIASES.items()))
def test_public_path_is_the_implementation_module(public: str, implementation: str) -> None:
    with warnings.catch_warnings():
        # starlette.middleware.wsgi warns on import, as upstream; that is tested with the middleware.
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(public)
    assert module is importlib.import_module(implementation)
    assert sys.modules[public] is module
    parent, _, leaf = public.rpartition(".")
    assert getattr(importlib.import_module(parent), leaf) is module


def test_middleware_package_offers_the_same_spec_class() -> None:
    import starlette.middleware

    assert starlette.middleware.Middleware is starlette_middleware.Middleware


def test_monkeypatching_the_public_path_reaches_the_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    import starlette_core.status

    monkeypatch.setattr("starlette.status.HTTP_418_IM_A_TEAPOT", 419)
    assert starlette_core.status.HTTP_418_IM_A_TEAPOT == 419


def test_importing_starlette_imports_no_submodule() -> None:
    code = (
        "import sys, starlette; "
        "loaded = sorted(m for m in sys.modules if m.startswith(('starlette.', 'starlette_'))); "
        "print(loaded)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
