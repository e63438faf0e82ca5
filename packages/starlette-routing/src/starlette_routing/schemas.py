"""OpenAPI schemas built from the routes and the YAML in endpoint docstrings (``starlette.schemas``).

pyyaml is imported only when YAML is actually parsed or rendered, so this module imports without it installed.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from starlette_core._utils import LazyImports
from starlette_core.requests import Request
from starlette_core.responses import Response
from starlette_routing.routing import BaseRoute, Host, Mount, Route

_INSTALL_HINT = "pyyaml must be installed to use {what}: pip install pyyaml"
_remove_converter_pattern = re.compile(r":\w+}")  # upstream's name
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "query")
# "major.minor" at the start of the base schema's "openapi" version: the `query` operation exists from OpenAPI 3.2.
_OPENAPI_VERSION = re.compile(r"(\d+)\.(\d+)")


def _pyyaml() -> Any:
    try:
        import yaml
    except ImportError:
        return None
    return yaml


# Upstream's name for what this module imports on first use (see LazyImports): pyyaml, None when it is not installed.
_lazy = LazyImports(globals(), {"yaml": _pyyaml})
if TYPE_CHECKING:
    import yaml as yaml
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


def _yaml(what: str) -> Any:
    """The module global ``yaml``; an ImportError naming ``what`` needs it when it is None."""
    yaml = _lazy.load("yaml")
    if yaml is None:
        raise ImportError(_INSTALL_HINT.format(what=what))
    return yaml


class OpenAPIResponse(Response):
    media_type = "application/vnd.oai.openapi"

    def render(self, content: Any) -> bytes:
        yaml = _yaml("OpenAPIResponse")
        assert isinstance(content, dict), "The schema passed to OpenAPIResponse should be a dictionary."
        rendered: str = yaml.dump(content, default_flow_style=False)
        return rendered.encode("utf-8")


class EndpointInfo(NamedTuple):
    path: str
    http_method: str
    func: Callable[..., Any]


class BaseSchemaGenerator:
    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        raise NotImplementedError()

    def get_endpoints(self, routes: list[BaseRoute]) -> list[EndpointInfo]:
        """Every (path, lowercase method, handler) reachable through ``routes``, Mounts and Hosts included.

        Routes with ``include_in_schema=False`` and the implied HEAD are left out; path parameters lose their
        convertor (``/users/{id:int}`` becomes ``/users/{id}``).
        """
        endpoints: list[EndpointInfo] = []
        for route in routes:
            if isinstance(route, (Mount, Host)):
                prefix = self._remove_converter(route.path) if isinstance(route, Mount) else ""
                for sub in self.get_endpoints(route.routes or []):
                    endpoints.append(EndpointInfo(prefix + sub.path, sub.http_method, sub.func))
            elif not isinstance(route, Route) or not route.include_in_schema:
                continue
            elif inspect.isfunction(route.endpoint) or inspect.ismethod(route.endpoint):
                path = self._remove_converter(route.path)
                for method in route.methods or ["GET"]:
                    if method != "HEAD":
                        endpoints.append(EndpointInfo(path, method.lower(), route.endpoint))
            else:
                path = self._remove_converter(route.path)
                for method in _HTTP_METHODS:
                    func = getattr(route.endpoint, method, None)
                    if func is not None:
                        endpoints.append(EndpointInfo(path, method, func))
        return endpoints

    def _remove_converter(self, path: str) -> str:
        """``/users/{id:int}`` -> ``/users/{id}``."""
        return _remove_converter_pattern.sub("}", path)

    def parse_docstring(self, func_or_method: Callable[..., Any]) -> dict[str, Any]:
        """The YAML mapping after the last ``---`` of the docstring; ``{}`` if there is none."""
        docstring = func_or_method.__doc__
        if not docstring:
            return {}
        yaml = _yaml("parse_docstring")
        # Prose may come first: the schema is the part after the last '---'.
        parsed = yaml.safe_load(docstring.split("---")[-1])
        if not isinstance(parsed, dict):
            # A plain docstring parses as a string (or nothing): no schema there.
            return {}
        return parsed

    def OpenAPIResponse(self, request: Request) -> Response:
        routes = request.app.routes
        schema = self.get_schema(routes=routes)
        return OpenAPIResponse(schema)


def _has_query_operation(version: object) -> bool:
    """Whether a schema of this ``openapi`` version may have ``query`` operations (3.2 and later, as upstream 1.x
    decides: ``3.2``, ``"3.2.0"``, ``"3.2.0-rc1"``...; a missing or unreadable version has none)."""
    found = _OPENAPI_VERSION.match(str(version))
    return found is not None and (int(found.group(1)), int(found.group(2))) >= (3, 2)


class SchemaGenerator(BaseSchemaGenerator):
    def __init__(self, base_schema: dict[str, Any]) -> None:
        self.base_schema = base_schema

    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        schema = dict(self.base_schema)
        # Copies, so that building a schema never alters ``base_schema``.
        paths: dict[str, Any] = dict(schema.get("paths", {}))
        schema["paths"] = paths
        with_query = _has_query_operation(schema.get("openapi"))
        for endpoint in self.get_endpoints(routes):
            if endpoint.http_method == "query" and not with_query:
                continue
            parsed = self.parse_docstring(endpoint.func)
            if not parsed:
                continue
            paths[endpoint.path] = {**paths.get(endpoint.path, {}), endpoint.http_method: parsed}
        return schema
