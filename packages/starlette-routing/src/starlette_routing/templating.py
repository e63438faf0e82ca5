"""Jinja2 templates rendered into HTML responses (``starlette.templating``).

jinja2 is imported only when a :class:`Jinja2Templates` is built, so this module imports without it installed.
"""

from __future__ import annotations

import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Callable, overload
from typing import cast as cast  # upstream's module has the name

from starlette_core._utils import LazyImports, warn_as_module
from starlette_core.background import BackgroundTask
from starlette_core.datastructures import URL
from starlette_core.requests import Request
from starlette_core.responses import HTMLResponse
from starlette_core.types import Receive, Scope, Send

_INSTALL_HINT = "jinja2 must be installed to use Jinja2Templates: pip install jinja2"
_OPTIONS = ("context", "status_code", "headers", "media_type", "background")


def _jinja2() -> Any:
    try:
        import jinja2
    except ImportError:
        return None
    return jinja2


def _pass_context() -> Any:
    jinja2 = _jinja2()
    if jinja2 is None:
        raise AttributeError(f"module {__name__!r} has no attribute 'pass_context' (jinja2 is not installed)")
    return jinja2.pass_context


# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.templating"

# Upstream's names for what this module imports on first use (see LazyImports): jinja2 (None when it is not
# installed, as upstream) and its ``pass_context`` (only there with jinja2).
_lazy = LazyImports(globals(), {"jinja2": _jinja2, "pass_context": _pass_context})
if TYPE_CHECKING:
    import jinja2
    from jinja2 import pass_context
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


def _import_jinja2() -> None:
    """Load the module globals ``jinja2`` and ``pass_context``; an ImportError naming the extra without jinja2."""
    if _lazy.load("jinja2") is None:
        raise ImportError(_INSTALL_HINT)
    _lazy.load("pass_context")


class _TemplateResponse(HTMLResponse):
    def __init__(
        self,
        template: Any,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ):
        self.template = template
        self.context = context
        content = template.render(context)
        super().__init__(content, status_code, headers, media_type, background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = self.context.get("request", {})
        extensions = request.get("extensions", {})
        if "http.response.debug" in extensions:
            await send(
                {
                    "type": "http.response.debug",
                    "info": {"template": self.template, "context": self.context},
                }
            )
        await super().__call__(scope, receive, send)


class Jinja2Templates:
    """Templates loaded from ``directory`` (one or several) or from a ready ``jinja2.Environment``.

    ``url_for(name, **path_params)`` is available in every template, using the request in the context.
    """

    @overload
    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]],
        *,
        context_processors: list[Callable[[Request], dict[str, Any]]] | None = None,
        **env_options: Any,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        env: jinja2.Environment,
        context_processors: list[Callable[[Request], dict[str, Any]]] | None = None,
    ) -> None: ...

    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
        *,
        context_processors: list[Callable[[Request], dict[str, Any]]] | None = None,
        env: jinja2.Environment | None = None,
        **env_options: Any,
    ) -> None:
        if env_options:
            warn_as_module(
                _UPSTREAM_MODULE,
                "Extra environment options are deprecated. Use a preconfigured jinja2.Environment instead.",
                DeprecationWarning,
            )
        _import_jinja2()
        assert bool(directory) ^ bool(env), "either 'directory' or 'env' arguments must be passed"
        self.context_processors = context_processors or []
        if directory is not None:
            self.env = self._create_env(directory, **env_options)
        else:
            assert env is not None  # implied by the assertion above; narrows the type
            self.env = env
        self._setup_env_defaults(self.env)

    def _create_env(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]],
        **env_options: Any,
    ) -> jinja2.Environment:
        env_options.setdefault("loader", jinja2.FileSystemLoader(directory))
        env_options.setdefault("autoescape", True)
        return jinja2.Environment(**env_options)

    def _setup_env_defaults(self, env: jinja2.Environment) -> None:
        @pass_context
        def url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> URL:
            request: Request = context["request"]
            return request.url_for(name, **path_params)

        env.globals.setdefault("url_for", url_for)

    def get_template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)

    @overload
    def TemplateResponse(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse: ...

    @overload
    def TemplateResponse(
        self,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse:
        # Deprecated: ``TemplateResponse(name, {"request": request})``.
        ...

    def TemplateResponse(self, *args: Any, **kwargs: Any) -> _TemplateResponse:
        rest: tuple[Any, ...] = ()
        if args and isinstance(args[0], str):
            # Old style: TemplateResponse(name, context, ...), the request inside the context.
            warn_as_module(
                _UPSTREAM_MODULE,
                "The `name` is not the first parameter anymore. "
                "The first parameter should be the `Request` instance.\n"
                'Replace `TemplateResponse(name, {"request": request})` by `TemplateResponse(request, name)`.',
                DeprecationWarning,
            )
            name, rest = args[0], args[1:]
            request = None
        elif args:
            request = args[0]
            if len(args) > 1:
                name, rest = args[1], args[2:]
            else:
                name = kwargs["name"]
        else:
            if "request" not in kwargs:
                warn_as_module(
                    _UPSTREAM_MODULE,
                    "The `TemplateResponse` now requires the `request` argument.\n"
                    'Replace `TemplateResponse(name, {"context": context})` by `TemplateResponse(request, name)`.',
                    DeprecationWarning,
                )
            request = kwargs.get("request")
            name = kwargs["name"]

        options = dict(zip(_OPTIONS, rest))
        for key in _OPTIONS[len(rest) :]:
            if key in kwargs:
                options[key] = kwargs[key]
        context: dict[str, Any] | None = options.get("context")
        if context is None:
            context = {}
        if request is None:
            if "request" not in context:
                raise ValueError('context must include a "request" key')
            request = context["request"]

        context.setdefault("request", request)
        for context_processor in self.context_processors:
            context.update(context_processor(request))

        template = self.get_template(name)
        return _TemplateResponse(
            template,
            context,
            status_code=options.get("status_code", 200),
            headers=options.get("headers"),
            media_type=options.get("media_type"),
            background=options.get("background"),
        )
