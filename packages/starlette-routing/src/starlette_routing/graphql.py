"""GraphQL over HTTP and WebSocket (``starlette.graphql``), built on graphql-core.

:class:`GraphQLApp` is an ASGI app: mount it with ``Route("/graphql", app)`` (HTTP) plus
``WebSocketRoute("/graphql", app)`` (subscriptions), or with ``Mount("/graphql", app)``.

graphql-core (3.2.14 and later 3.2 releases, or 3.3.2 and later: the ``graphql`` extra) is imported only when a
:class:`GraphQLApp` is built, so this module imports without it.

graphql-core awaits concurrent resolvers with ``asyncio.gather``. So that the same schema also runs on trio, building
a :class:`GraphQLApp` swaps graphql-core's helper (3.3: the executor's ``gather_with_cancel``; 3.2: the ``gather``
its execute module imported from asyncio) for one that keeps the original under asyncio and uses an anyio task group
anywhere else (where the original could not run at all). graphql-core 3.2's ``subscribe`` maps events with asyncio
tasks and takes no field middleware: there, a subscription's events are mapped here, each executed as 3.3 does.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import traceback
from collections.abc import AsyncGenerator, Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, cast
from urllib.parse import parse_qsl

import anyio
from anyio.lowlevel import checkpoint

from starlette_core.background import BackgroundTasks
from starlette_core.exceptions import HTTPException
from starlette_core.formparsers import MultiPartException
from starlette_core.requests import ClientDisconnect, HTTPConnection, Request
from starlette_core.responses import HTMLResponse, JSONResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from graphql import (
        DocumentNode,
        ExecutionResult,
        FieldNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        GraphQLError,
        GraphQLSchema,
        OperationDefinitionNode,
        SelectionSetNode,
    )
    from graphql.execution import MiddlewareManager
    from graphql.validation import ASTValidationRule

__all__ = ["GraphQLApp"]

_INSTALL_HINT = "graphql-core>=3.2.14 must be installed to use GraphQLApp: pip install 'graphql-core>=3.2.14'"

#: The WebSocket subprotocol spoken for subscriptions (https://github.com/enisdenjo/graphql-ws, PROTOCOL.md).
PROTOCOL = "graphql-transport-ws"

# A query parameter set: query, variables (already decoded), operationName.
_Params = tuple[Optional[str], Optional[dict[str, Any]], Optional[str]]
_CloseCode = tuple[int, str]

#: Where the GraphiQL page loads its assets from by default (the unpkg CDN). ``GraphQLApp(graphiql_assets=...)``
#: replaces any of them.
GRAPHIQL_ASSETS: dict[str, str] = {
    "react.js": "https://unpkg.com/react@18/umd/react.production.min.js",
    "react-dom.js": "https://unpkg.com/react-dom@18/umd/react-dom.production.min.js",
    "graphiql.js": "https://unpkg.com/graphiql@3/graphiql.min.js",
    "graphiql.css": "https://unpkg.com/graphiql@3/graphiql.min.css",
}

# The page loads its assets from script rather than with <script src> and <link> in the head: those would block the
# parser (a hanging CDN would leave a blank page) and could not tell the user that something failed to load.
# __ASSETS__ and __TIMEOUT_MS__ are filled in by GraphQLApp._graphiql_page.
GRAPHIQL_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphiQL</title>
  <style>
    html, body, #graphiql { height: 100%; margin: 0; }
    #graphiql-status { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 0; padding: 1rem 2rem; }
    #graphiql-status code { overflow-wrap: anywhere; }
  </style>
</head>
<body>
<div id="graphiql"><div id="graphiql-status"><p>Loading GraphiQL...</p></div></div>
<script>
  const assets = __ASSETS__;
  const loadTimeout = __TIMEOUT_MS__;
  const root = document.getElementById("graphiql");
  const status = document.getElementById("graphiql-status");
  const httpUrl = window.location.pathname;
  const wsUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + httpUrl;

  function isSubscription(params) {
    const query = (params.query || "").replace(/#[^\\n]*/g, "");
    const pattern = params.operationName
      ? new RegExp("\\\\bsubscription\\\\s+" + params.operationName + "\\\\b")
      : /^\\s*subscription\\b/;
    return pattern.test(query);
  }

  // One graphql-transport-ws connection per subscription, read as an async iterator of results.
  function subscribe(params) {
    const queue = [];
    let wake = null;
    let done = false;
    const ws = new WebSocket(wsUrl, "graphql-transport-ws");
    const push = (item) => { if (wake) { wake(item); wake = null; } else { queue.push(item); } };
    const finish = () => { if (!done) { done = true; push({ value: undefined, done: true }); ws.close(); } };
    ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init" }));
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: params }));
      } else if (message.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        push({ value: message.payload, done: false });
      } else if (message.type === "error") {
        push({ value: { errors: message.payload }, done: false });
        finish();
      } else if (message.type === "complete") {
        finish();
      }
    };
    ws.onclose = (event) => {
      if (!done) {
        push({ value: { errors: [{ message: "WebSocket closed: " + event.code + " " + event.reason }] }, done: false });
        finish();
      }
    };
    return {
      [Symbol.asyncIterator]() { return this; },
      next() {
        if (queue.length) { return Promise.resolve(queue.shift()); }
        if (done) { return Promise.resolve({ value: undefined, done: true }); }
        return new Promise((resolve) => { wake = resolve; });
      },
      return() {
        if (!done) {
          done = true;
          if (ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify({ id: "1", type: "complete" })); }
          ws.close();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  async function fetcher(params) {
    if (isSubscription(params)) { return subscribe(params); }
    const response = await fetch(httpUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(params),
      credentials: "same-origin",
    });
    return response.json();
  }

  // What went wrong, said in the page itself.
  function paragraph(...parts) {
    // A string is text, [string] is code: text nodes only, the URLs are data and never markup.
    const element = document.createElement("p");
    for (const part of parts) {
      if (typeof part === "string") {
        element.append(part);
      } else {
        const code = document.createElement("code");
        code.textContent = part[0];
        element.append(code);
      }
    }
    return element;
  }

  function explain(headline, ...details) {
    const title = document.createElement("h1");
    title.textContent = headline;
    status.replaceChildren(
      title,
      paragraph(...details),
      paragraph("A site can serve these files itself: ", ["GraphQLApp(..., graphiql_assets={...})"],
        " takes their URLs."),
      paragraph("The GraphQL endpoint works without GraphiQL: POST a JSON body such as ",
        ['{"query": "{ __typename }"}'], " to ", [httpUrl], "."),
    );
    status.setAttribute("role", "alert");
  }

  const timer = setTimeout(() => {
    explain("GraphiQL is taking too long to load", "Its scripts and stylesheet (such as ", [assets["graphiql.js"]],
      ") have not arrived after " + loadTimeout / 1000 + " seconds. If they still arrive, GraphiQL starts.");
  }, loadTimeout);

  function load(element, url) {
    const loaded = new Promise((resolve, reject) => {
      element.addEventListener("load", resolve);
      element.addEventListener("error", () => reject(url));
    });
    document.head.append(element);
    return loaded;
  }

  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = assets["graphiql.css"];
  const loading = [load(stylesheet, assets["graphiql.css"])];
  for (const name of ["react.js", "react-dom.js", "graphiql.js"]) {
    const script = document.createElement("script");
    script.src = assets[name];
    script.async = false;  // run in this order, each as soon as it and those before it have loaded
    loading.push(load(script, assets[name]));
  }

  Promise.all(loading).then(() => {
    clearTimeout(timer);
    try {
      ReactDOM.createRoot(root).render(
        React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
      );
    } catch (error) {
      explain("GraphiQL could not start", "Its scripts loaded, then failed: ", [String(error)]);
    }
  }, (url) => {
    clearTimeout(timer);
    explain("GraphiQL could not load", "This browser could not fetch ", [url],
      " (is it offline, or is that address blocked?).");
  });
</script>
</body>
</html>
"""


def _graphiql_assets(assets: Mapping[str, str] | None) -> dict[str, str]:
    """The default asset URLs, with those of ``assets`` (``graphiql_assets``) in their place."""
    merged = dict(GRAPHIQL_ASSETS)
    for key, url in (assets or {}).items():
        if key not in merged:
            raise ValueError(f"graphiql_assets: unknown key {key!r}; the keys are {', '.join(GRAPHIQL_ASSETS)}")
        if not isinstance(url, str) or not url:
            raise ValueError(f"graphiql_assets[{key!r}] must be a non-empty string, got {url!r}")
        merged[key] = url
    return merged


class _BadRequest(Exception):
    """A request that cannot be run: answered with ``status_code`` and one error message."""

    def __init__(self, message: str, status_code: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.headers = headers


class _RequestErrors(Exception):
    """Syntax or validation errors: the document cannot be executed."""

    def __init__(self, errors: Sequence[GraphQLError]) -> None:
        super().__init__(errors)
        self.errors = errors


def _load_graphql() -> bool:
    """Import graphql-core and make it run on any anyio backend: True for 3.3, False for 3.2."""
    try:
        executor = importlib.import_module("graphql.execution.executor")
    except ImportError:
        try:
            execute = importlib.import_module("graphql.execution.execute")
        except ImportError:
            raise ImportError(_INSTALL_HINT) from None
        # graphql-core 3.2: Python 3.9's in uv.lock, where tests/routing runs with it (coverage is measured on 3.11)
        _install_any_backend_gather(execute, "gather")  # pragma: no cover
        return False  # pragma: no cover
    # graphql-core 3.3 awaits concurrent resolvers with the executor's gather_with_cancel
    _install_any_backend_gather(executor, "gather_with_cancel")
    return True


async def _gather_in_task_group(awaitables: tuple[Awaitable[Any], ...], return_exceptions: bool) -> list[Any]:
    """``gather`` for any anyio backend: all results in order, or the first error (the rest cancelled), or with
    ``return_exceptions`` every result and error in order, nothing cancelled."""
    results: list[Any] = [None] * len(awaitables)
    failures: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def run(index: int, awaitable: Awaitable[Any]) -> None:
            try:
                results[index] = await awaitable
            except Exception as exc:
                if return_exceptions:
                    results[index] = exc
                    return
                failures.append(exc)
                group.cancel_scope.cancel()

        for index, awaitable in enumerate(awaitables):
            group.start_soon(run, index, awaitable)
    if failures:
        raise failures[0]
    return results


def _install_any_backend_gather(module: Any, name: str) -> None:
    original = getattr(module, name)
    if getattr(original, "_any_backend", False):
        return

    def gather(*awaitables: Awaitable[Any], return_exceptions: bool = False) -> Awaitable[list[Any]]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): the original would need an asyncio loop
            return _gather_in_task_group(awaitables, return_exceptions)
        # only graphql-core 3.2 asks (asyncio.gather's flag; 3.3's gather_with_cancel has none): run them all
        if return_exceptions:
            return _gather_in_task_group(awaitables, return_exceptions)
        return cast("Awaitable[list[Any]]", original(*awaitables))

    gather._any_backend = True  # type: ignore[attr-defined]
    setattr(module, name, gather)


async def _subscribe_mapped(  # pragma: no cover - graphql-core 3.2 only (Python 3.9's in uv.lock)
    schema: GraphQLSchema, document: DocumentNode, *, middleware: MiddlewareManager | None, **options: Any
) -> AsyncGenerator[ExecutionResult, None] | ExecutionResult:
    """``subscribe`` for graphql-core 3.2: its source stream, each event executed with the field middleware."""
    import graphql

    # 3.2's signature (schema, document, root_value, ...): 3.3's takes an executor, so type checkers read it as Any
    create_source_event_stream: Any = graphql.create_source_event_stream
    execute = graphql.execute
    stream = await create_source_event_stream(schema, document, **options)
    if isinstance(stream, graphql.ExecutionResult):
        return stream

    async def results() -> AsyncGenerator[ExecutionResult, None]:
        try:
            async for event in stream:
                result = execute(schema, document, **{**options, "root_value": event}, middleware=middleware)
                yield await result if inspect.isawaitable(result) else result
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    return results()


def _too_deep(
    operation: OperationDefinitionNode,
    max_depth: int,
    fragments: Callable[[str], FragmentDefinitionNode | None],
) -> FieldNode | None:
    """The first field of ``operation`` nested deeper than ``max_depth`` (following fragments), or None.

    Iterative, and each fragment is expanded again only when reached at a deeper level than before, so the work is
    bounded by ``max_depth`` times the document size even for fragment cycles or fragments spread many times.
    """
    from graphql import FieldNode, InlineFragmentNode

    pending: list[tuple[SelectionSetNode, int]] = [(operation.selection_set, 1)]
    expanded_at: dict[str, int] = {}
    while pending:
        selection_set, level = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if level > max_depth:
                    return selection
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, level + 1))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, level))
            else:
                name = cast("FragmentSpreadNode", selection).name.value
                if expanded_at.get(name, 0) >= level:
                    continue
                expanded_at[name] = level
                fragment = fragments(name)
                if fragment is not None:
                    pending.append((fragment.selection_set, level))
    return None


def _max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    from graphql import GraphQLError, ValidationRule
    from graphql.language.visitor import SKIP

    class MaxDepthRule(ValidationRule):
        """Reject operations whose fields nest deeper than ``max_depth`` levels."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            field = _too_deep(node, max_depth, self.context.get_fragment)
            if field is not None:
                self.report_error(GraphQLError(f"The query exceeds the maximum depth of {max_depth}.", field))
            return SKIP

    return MaxDepthRule


def _params_from_json(data: dict[str, Any]) -> _Params:
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise _BadRequest("The query must be a string.")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise _BadRequest("Variables must be a JSON object.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _BadRequest("The operation name must be a string.")
    return query, variables, operation_name


def _params_from_strings(fields: Any) -> _Params:
    """Read the parameters from strings (query parameters or form fields): ``variables`` is JSON text."""
    values = []
    for name in ("query", "variables", "operationName"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise _BadRequest(f"The {name} field must be a string.")
        values.append(value)
    query, variables_text, operation_name = values
    variables = None
    if variables_text is not None:
        try:
            variables = json.loads(variables_text)
        except (ValueError, RecursionError):
            raise _BadRequest("Variables are not valid JSON.") from None
        if variables is not None and not isinstance(variables, dict):
            raise _BadRequest("Variables must be a JSON object.")
    return query, variables, operation_name


class GraphQLApp:
    """Serve a graphql-core schema: queries and mutations over HTTP, everything over ``graphql-transport-ws``.

    - ``graphiql``: a browser's GET (``Accept: text/html``, no ``query``) gets the GraphiQL IDE.
    - ``context_value``: the execution context; a callable is called with the request (or the WebSocket) for each
      operation and may be async. By default it is ``{"request": ..., "background": BackgroundTasks()}`` (plus
      ``"connection_params"`` over WebSocket): the tasks run after the HTTP response (after the operation's last
      message over WebSocket).
    - ``root_value``, ``middleware``: passed to graphql-core's execution.
    - ``debug``: errors raised by resolvers carry their traceback in ``extensions.exception``.
    - ``max_depth``: reject (400) operations nesting fields deeper than this, counting through fragments (every
      field counts, introspection too: graphql-core's get_introspection_query() needs 15).
    - ``max_tokens``: reject (400) documents longer than this many tokens (or comments); ``None`` for no limit.
    - ``graphiql_assets``: where GraphiQL's page loads its four files from, a mapping with any of the keys
      ``"react.js"``, ``"react-dom.js"``, ``"graphiql.js"`` and ``"graphiql.css"`` to URLs (absolute, or paths on
      this site); the keys left out keep their default in ``GRAPHIQL_ASSETS`` (the unpkg CDN). Serve them yourself
      where browsers cannot reach the CDN. When one does not load, the page says so instead of GraphiQL (as it does
      while none has arrived after ``graphiql_load_timeout`` seconds).
    """

    #: Seconds a WebSocket client has after connecting to send ``connection_init`` (then: close 4408).
    connection_init_wait_timeout: float | None = 3.0
    #: How many validated documents are kept, keyed by query text (queries up to ``cacheable_query_length``);
    #: 0 turns the cache off.
    document_cache_size: int = 256
    cacheable_query_length: int = 10_000
    #: Seconds GraphiQL's page waits for its assets before it says that they have not arrived (it still starts
    #: GraphiQL if they do).
    graphiql_load_timeout: float = 10.0

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        graphiql: bool = True,
        context_value: Any = None,
        root_value: Any = None,
        middleware: Sequence[Any] | MiddlewareManager | None = None,
        debug: bool = False,
        max_depth: int | None = None,
        max_tokens: int | None = 10_000,
        graphiql_assets: Mapping[str, str] | None = None,
    ) -> None:
        current = _load_graphql()
        from graphql import (
            ExecutionResult,
            GraphQLError,
            OperationType,
            assert_valid_schema,
            execute,
            get_operation_ast,
            parse,
            specified_rules,
            subscribe,
            validate,
        )
        from graphql.execution import MiddlewareManager

        assert_valid_schema(schema)
        self.schema = schema
        self.graphiql = graphiql
        self.graphiql_assets = _graphiql_assets(graphiql_assets)
        self.context_value = context_value
        self.root_value = root_value
        self.debug = debug
        self.max_depth = max_depth
        self.max_tokens = max_tokens
        if middleware is None or isinstance(middleware, MiddlewareManager):
            self.middleware = middleware
        else:
            self.middleware = MiddlewareManager(*middleware)
        self._context_factory = context_value if callable(context_value) else None
        self._rules = None if max_depth is None else (*specified_rules, _max_depth_rule(max_depth))
        self._documents: dict[str, DocumentNode] = {}
        self._parse = parse
        self._validate = validate
        self._execute = execute
        self._subscribe = subscribe if current else _subscribe_mapped
        self._get_operation_ast = get_operation_ast
        self._graphql_error = GraphQLError
        self._execution_result = ExecutionResult
        self._query = OperationType.QUERY
        self._subscription = OperationType.SUBSCRIPTION

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await _Connection(self, WebSocket(scope, receive, send)).serve()
            return
        request = Request(scope, receive)
        try:
            response = await self._handle_http(request)
        except _BadRequest as exc:
            response = JSONResponse({"errors": [{"message": exc.message}]}, exc.status_code, exc.headers)
        except _RequestErrors as exc:
            response = JSONResponse({"errors": [self._format_error(error) for error in exc.errors]}, 400)
        except ClientDisconnect:
            return
        await response(scope, receive, send)

    # --- HTTP ----------------------------------------------------------------------------------------------------

    def _graphiql_page(self) -> str:
        # JSON inside <script>: escape what could end the element ("</script>") or open a comment in it ("<!--").
        assets = json.dumps(self.graphiql_assets)
        for character, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            assets = assets.replace(character, escape)
        timeout_ms = str(round(self.graphiql_load_timeout * 1000))
        return GRAPHIQL_HTML.replace("__ASSETS__", assets).replace("__TIMEOUT_MS__", timeout_ms)

    async def _handle_http(self, request: Request) -> Response:
        method = request.method
        if method == "GET":
            params = request.query_params
            if self.graphiql and "query" not in params and "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(self._graphiql_page())
            query, variables, operation_name = _params_from_strings(params)
        elif method == "POST":
            query, variables, operation_name = await self._read_post(request)
        else:
            raise _BadRequest("Method not allowed: use GET or POST.", 405, {"Allow": "GET, POST"})
        if not query:
            raise _BadRequest("No GraphQL query found in the request.")
        document = self._document(query)
        operation = self._get_operation_ast(document, operation_name)
        if operation is not None:
            if operation.operation is self._subscription:
                raise _BadRequest("Subscriptions are served over WebSocket (graphql-transport-ws).")
            if method == "GET" and operation.operation is not self._query:
                message = f"Cannot run a {operation.operation.value} over GET: use POST."
                raise _BadRequest(message, 405, {"Allow": "POST"})
        context, background = await self._context(request, None)
        result = self._execute(
            self.schema,
            document,
            root_value=self.root_value,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            middleware=self.middleware,
        )
        if inspect.isawaitable(result):
            result = await result
        payload = self._format_result(result)
        status_code = 400 if "data" not in payload else 200
        return JSONResponse(payload, status_code, background=background)

    async def _read_post(self, request: Request) -> _Params:
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type == "application/json":
            try:
                data = json.loads(await request.body())
            except (ValueError, RecursionError):
                raise _BadRequest("The request body is not valid JSON.") from None
            if not isinstance(data, dict):
                raise _BadRequest("The request body must be a JSON object.")
            return _params_from_json(data)
        if media_type == "application/graphql":
            return (await request.body()).decode("utf-8", "replace"), None, None
        if media_type == "application/x-www-form-urlencoded":
            text = (await request.body()).decode("utf-8", "replace")
            return _params_from_strings(dict(parse_qsl(text, keep_blank_values=True)))
        if media_type == "multipart/form-data":
            try:
                async with request.form() as form:
                    return _params_from_strings(form)
            except MultiPartException as exc:
                raise _BadRequest(exc.message) from None
            except HTTPException as exc:
                raise _BadRequest(exc.detail) from None
            except ImportError:  # python-multipart is not installed: this server cannot read multipart bodies
                raise _BadRequest("Unsupported content type: multipart forms need python-multipart.", 415) from None
        raise _BadRequest("Unsupported content type: send application/json, application/graphql or a form.", 415)

    # --- shared ---------------------------------------------------------------------------------------------------

    def _document(self, query: str) -> DocumentNode:
        """Parse and validate ``query`` (or raise :class:`_RequestErrors`); valid documents are cached."""
        documents = self._documents
        document = documents.get(query)
        if document is not None:
            return document
        try:
            document = self._parse(query, max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens)
            errors = self._validate(self.schema, document, self._rules)
        except self._graphql_error as error:
            raise _RequestErrors([error]) from None
        except RecursionError:
            raise _RequestErrors([self._graphql_error("The query is nested too deeply.")]) from None
        if errors:
            raise _RequestErrors(errors)
        if len(query) <= self.cacheable_query_length:
            documents[query] = document
            while len(documents) > self.document_cache_size:  # drop the oldest (all of them when the size is 0)
                del documents[next(iter(documents))]
        return document

    async def _context(
        self, connection: HTTPConnection, connection_params: dict[str, Any] | None
    ) -> tuple[Any, BackgroundTasks | None]:
        factory = self._context_factory
        if factory is not None:
            context = factory(connection)
            if inspect.isawaitable(context):
                context = await context
            return context, None
        if self.context_value is not None:
            return self.context_value, None
        background = BackgroundTasks()
        context = {"request": connection, "background": background}
        if connection_params is not None:
            context["connection_params"] = connection_params
        return context, background

    def _format_error(self, error: GraphQLError) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        original = error.original_error
        if self.debug and original is not None and not isinstance(original, self._graphql_error):
            lines = traceback.format_exception(type(original), original, original.__traceback__)
            extensions = dict(formatted.get("extensions") or {})
            extensions["exception"] = {"type": type(original).__name__, "stacktrace": "".join(lines).splitlines()}
            formatted["extensions"] = extensions
        return formatted

    def _format_result(self, result: ExecutionResult) -> dict[str, Any]:
        """The response payload; without ``"data"`` for a request error (errors before execution, no ``path``)."""
        payload: dict[str, Any] = {}
        errors = result.errors
        if result.data is not None or not errors or any(error.path is not None for error in errors):
            payload["data"] = result.data
        if errors:
            payload["errors"] = [self._format_error(error) for error in errors]
        return payload


class _Connection:
    """One ``graphql-transport-ws`` connection: a receive loop, and one task per running operation."""

    def __init__(self, app: GraphQLApp, websocket: WebSocket) -> None:
        self.app = app
        self.websocket = websocket
        self.acknowledged = False
        self.connection_params: dict[str, Any] = {}
        self.operations: dict[str, anyio.CancelScope] = {}
        self.close_code: _CloseCode | None = None
        self.gone = False
        self.task_group: TaskGroup

    async def serve(self) -> None:
        websocket = self.websocket
        if PROTOCOL not in websocket.scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        async with anyio.create_task_group() as group:
            self.task_group = group
            timeout = self.app.connection_init_wait_timeout
            if timeout is not None:
                group.start_soon(self._expect_init, timeout)
            await self._receive_loop()
            group.cancel_scope.cancel()
        # Every operation task has ended: nothing else can send any more.
        if self.close_code is not None:
            await websocket.close(*self.close_code)

    def _close(self, code: int, reason: str) -> None:
        self.close_code = (code, reason)
        self.task_group.cancel_scope.cancel()

    async def _send(self, message: dict[str, Any]) -> None:
        if self.gone:
            # The task group is cancelled already: this checkpoint raises the cancellation.
            await checkpoint()
        else:
            try:
                await self.websocket.send_json(message)
            except WebSocketDisconnect:
                # The server could not send: the client is gone. Stop every task, and send nothing more.
                self.gone = True
                self.task_group.cancel_scope.cancel()

    async def _expect_init(self, timeout: float) -> None:
        await anyio.sleep(timeout)
        if not self.acknowledged:
            self._close(4408, "Connection initialisation timeout")

    async def _receive_loop(self) -> None:
        websocket = self.websocket
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                data = json.loads(text) if text is not None else None
            except (ValueError, RecursionError):
                data = None
            if not isinstance(data, dict):
                self._close(4400, "Invalid message: expected a JSON object")
                return
            close_code = await self._handle(data)
            if close_code is not None:
                self._close(*close_code)
                return

    async def _handle(self, message: dict[str, Any]) -> _CloseCode | None:
        message_type = message.get("type")
        if message_type == "subscribe":
            return self._start(message)
        if message_type == "complete":
            operation_id = message.get("id")
            if not isinstance(operation_id, str):
                return 4400, "Invalid message: complete needs an id"
            scope = self.operations.pop(operation_id, None)
            if scope is not None:
                scope.cancel()
            return None
        if message_type == "ping":
            await self._send({"type": "pong"})
            return None
        if message_type == "pong":
            return None
        if message_type == "connection_init":
            if self.acknowledged:
                return 4429, "Too many initialisation requests"
            payload = message.get("payload")
            if payload is not None and not isinstance(payload, dict):
                return 4400, "Invalid message: the connection_init payload must be an object"
            self.connection_params = payload or {}
            self.acknowledged = True
            await self._send({"type": "connection_ack"})
            return None
        return 4400, "Invalid message: unknown type"

    def _start(self, message: dict[str, Any]) -> _CloseCode | None:
        if not self.acknowledged:
            return 4401, "Unauthorized"
        operation_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            return 4400, "Invalid message: subscribe needs an id and a payload"
        try:
            query, variables, operation_name = _params_from_json(payload)
        except _BadRequest:
            query = None
        if not query:
            return 4400, "Invalid message: the subscribe payload needs a valid query"
        if operation_id in self.operations:
            return 4409, "Subscriber for this id already exists"
        scope = self.operations[operation_id] = anyio.CancelScope()
        self.task_group.start_soon(self._run, operation_id, scope, query, variables, operation_name)
        return None

    async def _run(
        self,
        operation_id: str,
        scope: anyio.CancelScope,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        with scope:
            try:
                final = await self._stream(operation_id, query, variables, operation_name)
            except _RequestErrors as exc:
                final = {"type": "error", "payload": [self.app._format_error(error) for error in exc.errors]}
            except Exception as exc:
                error = self.app._graphql_error(str(exc), original_error=exc)
                final = {"type": "error", "payload": [self.app._format_error(error)]}
            if self.operations.get(operation_id) is not scope:
                # The client completed it while it was finishing (no checkpoint left to deliver the cancellation).
                return
            # Free the id before the client hears about the end, so that it may reuse it at once.
            del self.operations[operation_id]
            await self._send({"id": operation_id, **final})

    async def _stream(
        self, operation_id: str, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        """Run the operation, sending its ``next`` messages; returns the final message (complete or error)."""
        app = self.app
        document = app._document(query)
        operation = app._get_operation_ast(document, operation_name)
        context, background = await app._context(self.websocket, self.connection_params)
        options: dict[str, Any] = {
            "root_value": app.root_value,
            "context_value": context,
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": app.middleware,
        }
        send = self._send
        if operation is not None and operation.operation is app._subscription:
            stream = app._subscribe(app.schema, document, **options)
            if inspect.isawaitable(stream):
                stream = await stream
            if isinstance(stream, app._execution_result):
                return {"type": "error", "payload": [app._format_error(error) for error in stream.errors or ()]}
            generator = cast("AsyncGenerator[ExecutionResult, None]", stream)
            try:
                async for event in generator:
                    await send({"id": operation_id, "type": "next", "payload": app._format_result(event)})
            finally:
                await generator.aclose()
        else:
            result = app._execute(app.schema, document, **options)
            if inspect.isawaitable(result):
                result = await result
            payload = app._format_result(result)
            if "data" not in payload:
                return {"type": "error", "payload": payload["errors"]}
            await send({"id": operation_id, "type": "next", "payload": payload})
        if background is not None:
            await background()
        return {"type": "complete"}
