from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

import jinja2
import pytest

import starlette_routing.templating as templating_module
from starlette_core.background import BackgroundTask
from starlette_core.requests import Request
from starlette_core.responses import Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_routing.templating import Jinja2Templates

TestClientFactory = Callable[..., Any]

OLD_STYLE_WARNING = (
    "The `name` is not the first parameter anymore. The first parameter should be the `Request` instance.\n"
    'Replace `TemplateResponse(name, {"request": request})` by `TemplateResponse(request, name)`.'
)
NO_REQUEST_WARNING = (
    "The `TemplateResponse` now requires the `request` argument.\n"
    'Replace `TemplateResponse(name, {"context": context})` by `TemplateResponse(request, name)`.'
)


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "index.html").write_text("<p>Hello, {{ name }}! {{ request.url.path }}</p>")
    (directory / "plain.html").write_text("static text")
    (directory / "extra.txt").write_text("{{ extra }}|{{ more }}")
    return directory


def endpoint_app(handler: Callable[[Request], Response]) -> Callable[[Scope, Receive, Send], Any]:
    """A bare ASGI app answering every request with ``handler(request)``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = handler(Request(scope, receive))
        await response(scope, receive, send)

    return app


def make_request(path: str = "/", **extra: Any) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    scope.update(extra)
    return Request(scope)


# --- construction --------------------------------------------------------------------------------------------


def test_directory_as_str_path_and_list(template_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("shadowed")
    (other / "only-here.html").write_text("found in second")
    for directory in (str(template_dir), template_dir):
        assert Jinja2Templates(directory=directory).get_template("plain.html").render() == "static text"
    templates = Jinja2Templates([template_dir, str(other)])
    assert templates.get_template("plain.html").render() == "static text"
    assert templates.get_template("index.html").render(name="x", request=make_request()).startswith("<p>Hello, x!")
    assert templates.get_template("only-here.html").render() == "found in second"


def test_get_template_returns_a_jinja2_template(template_dir: Path) -> None:
    template = Jinja2Templates(directory=template_dir).get_template("plain.html")
    assert isinstance(template, jinja2.Template)
    assert template.name == "plain.html"
    with pytest.raises(jinja2.TemplateNotFound):
        Jinja2Templates(directory=template_dir).get_template("missing.html")


def test_autoescape_is_on_by_default(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    response = templates.TemplateResponse(make_request(), "index.html", {"name": "<b>bob</b>"})
    assert b"&lt;b&gt;bob&lt;/b&gt;" in response.body


@pytest.mark.parametrize("name", ["mail.txt", "script.js", "page.j2"])
def test_autoescape_covers_every_template_not_only_html(template_dir: Path, name: str) -> None:
    # As 0.47.3 (autoescape=True), not as 1.x (select_autoescape: .html/.htm/.xml only): a template named otherwise
    # does not lose its escaping (README "Differences from upstream").
    (template_dir / name).write_text("{{ name }}")
    response = Jinja2Templates(directory=template_dir).TemplateResponse(make_request(), name, {"name": "<b>&"})
    assert response.body == b"&lt;b&gt;&amp;"


def test_env_is_used_as_given(template_dir: Path) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "from env {{ 1 + 1 }}"}))
    templates = Jinja2Templates(env=env)
    assert templates.env is env
    assert templates.get_template("t.html").render() == "from env 2"
    assert "url_for" in env.globals


def test_existing_url_for_global_is_kept() -> None:
    def my_url_for(name: str) -> str:
        return f"/custom/{name}"

    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ url_for('x') }}"}))
    env.globals["url_for"] = my_url_for
    templates = Jinja2Templates(env=env)
    assert templates.get_template("t.html").render() == "/custom/x"


def test_directory_and_env_together_are_refused(template_dir: Path) -> None:
    with pytest.raises(AssertionError, match="either 'directory' or 'env' arguments must be passed"):
        Jinja2Templates(directory=template_dir, env=jinja2.Environment())


def test_neither_directory_nor_env_is_refused() -> None:
    with pytest.raises(AssertionError, match="either 'directory' or 'env' arguments must be passed"):
        Jinja2Templates()  # type: ignore[call-overload]


def test_env_options_are_applied_with_a_deprecation_warning(template_dir: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"^Extra environment options are deprecated\. Use a preconfigured"):
        templates = Jinja2Templates(directory=template_dir, autoescape=False)
    response = templates.TemplateResponse(make_request(), "index.html", {"name": "<b>"})
    assert b"Hello, <b>!" in response.body


def test_custom_loader_option_wins(template_dir: Path) -> None:
    loader = jinja2.DictLoader({"plain.html": "from dict"})
    with pytest.warns(DeprecationWarning):
        templates = Jinja2Templates(directory=template_dir, loader=loader)
    assert templates.get_template("plain.html").render() == "from dict"


def test_without_jinja2_construction_names_the_extra(template_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What an earlier test imported into the module's globals goes too (put back afterwards).
    for name in ("jinja2", "pass_context"):
        monkeypatch.delattr(templating_module, name, raising=False)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(ImportError, match=r"jinja2 must be installed.*: pip install jinja2"):
        Jinja2Templates(directory=template_dir)


def test_module_imports_without_jinja2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)
    spec = importlib.util.spec_from_file_location("_templating_without_jinja2", templating_module.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.Jinja2Templates.__name__ == "Jinja2Templates"
    with pytest.raises(ImportError, match=r"pip install jinja2"):
        fresh.Jinja2Templates(directory="templates")


# --- TemplateResponse, new style -----------------------------------------------------------------------------


def test_template_response_renders_with_request_in_context(
    template_dir: Path, test_client_factory: TestClientFactory
) -> None:
    templates = Jinja2Templates(directory=template_dir)
    app = endpoint_app(lambda request: templates.TemplateResponse(request, "index.html", {"name": "World"}))
    response = test_client_factory(app).get("/greet")
    assert response.status_code == 200
    assert response.text == "<p>Hello, World! /greet</p>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.template.name == "index.html"
    assert response.context["name"] == "World"
    assert isinstance(response.context["request"], Request)


def test_template_response_all_positional(template_dir: Path, test_client_factory: TestClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)
    ran: list[str] = []
    task = BackgroundTask(ran.append, "done")

    def handler(request: Request) -> Response:
        return templates.TemplateResponse(request, "plain.html", {"a": 1}, 201, {"x-extra": "yes"}, "text/plain", task)

    response = test_client_factory(endpoint_app(handler)).get("/")
    assert response.status_code == 201
    assert response.headers["x-extra"] == "yes"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "static text"
    assert ran == ["done"]
    assert response.context["a"] == 1


def test_template_response_keywords(template_dir: Path, test_client_factory: TestClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)
    ran: list[str] = []

    def handler(request: Request) -> Response:
        return templates.TemplateResponse(
            request,
            name="plain.html",
            context={"a": 2},
            status_code=418,
            headers={"x-extra": "kw"},
            media_type="text/plain",
            background=BackgroundTask(ran.append, "kw"),
        )

    response = test_client_factory(endpoint_app(handler)).get("/")
    assert response.status_code == 418
    assert response.headers["x-extra"] == "kw"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert ran == ["kw"]
    assert response.context == {"a": 2, "request": response.context["request"]}


def test_template_response_all_keywords(template_dir: Path, test_client_factory: TestClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)

    def handler(request: Request) -> Response:
        return templates.TemplateResponse(request=request, name="index.html", context={"name": "kw"}, status_code=202)

    response = test_client_factory(endpoint_app(handler)).get("/all-kw")
    assert response.status_code == 202
    assert response.text == "<p>Hello, kw! /all-kw</p>"


def test_template_response_without_context(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    request = make_request()
    for response in (
        templates.TemplateResponse(request, "plain.html"),
        templates.TemplateResponse(request, "plain.html", None),
    ):
        assert response.body == b"static text"
        assert response.context == {"request": request}
        assert response.status_code == 200


def test_context_processors(template_dir: Path, test_client_factory: TestClientFactory) -> None:
    def extra(request: Request) -> dict[str, Any]:
        return {"extra": f"path={request.url.path}"}

    def more(request: Request) -> dict[str, Any]:
        return {"more": "more"}

    templates = Jinja2Templates(directory=template_dir, context_processors=[extra, more])
    app = endpoint_app(lambda request: templates.TemplateResponse(request, "extra.txt"))
    response = test_client_factory(app).get("/cp")
    assert response.text == "path=/cp|more"
    assert response.context["extra"] == "path=/cp"


def test_context_processors_with_env() -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ v }}"}))
    templates = Jinja2Templates(env=env, context_processors=[lambda request: {"v": "processed"}])
    assert templates.TemplateResponse(make_request(), "t").body == b"processed"


# --- TemplateResponse, deprecated styles ---------------------------------------------------------------------


def test_old_style_warns_and_works(template_dir: Path, test_client_factory: TestClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)

    def handler(request: Request) -> Response:
        with pytest.warns(DeprecationWarning) as record:
            response = templates.TemplateResponse("index.html", {"request": request, "name": "old"})
        assert [str(w.message) for w in record] == [OLD_STYLE_WARNING]
        return response

    response = test_client_factory(endpoint_app(handler)).get("/old")
    assert response.text == "<p>Hello, old! /old</p>"
    assert response.template.name == "index.html"


def test_old_style_all_positional(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    request = make_request()
    task = BackgroundTask(print)
    with pytest.warns(DeprecationWarning, match="The `name` is not the first parameter anymore"):
        response = templates.TemplateResponse(
            "plain.html", {"request": request}, 203, {"x-old": "1"}, "text/plain", task
        )
    assert response.status_code == 203
    assert response.headers["x-old"] == "1"
    assert response.media_type == "text/plain"
    assert response.background is task


def test_old_style_with_keywords(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    request = make_request()
    with pytest.warns(DeprecationWarning, match="The `name` is not the first parameter anymore"):
        response = templates.TemplateResponse(
            "plain.html", context={"request": request}, status_code=400, headers={"x-old": "2"}
        )
    assert response.status_code == 400
    assert response.headers["x-old"] == "2"


def test_old_style_without_request_is_a_value_error(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match='context must include a "request" key'):
        templates.TemplateResponse("plain.html", {"name": "x"})
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match='context must include a "request" key'):
        templates.TemplateResponse("plain.html")


def test_keywords_without_request_warn_and_use_the_context(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    request = make_request("/ctx")
    with pytest.warns(DeprecationWarning) as record:
        response = templates.TemplateResponse(name="index.html", context={"request": request, "name": "kw"})
    assert [str(w.message) for w in record] == [NO_REQUEST_WARNING]
    assert response.body == b"<p>Hello, kw! /ctx</p>"


def test_keywords_without_any_request_is_a_value_error(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match='context must include a "request" key'):
        templates.TemplateResponse(name="plain.html", context={})


def test_request_none_is_a_value_error(template_dir: Path) -> None:
    # (Upstream builds the response and fails when it is sent: a 500.)
    templates = Jinja2Templates(directory=template_dir)
    with pytest.raises(ValueError, match='context must include a "request" key'):
        templates.TemplateResponse(request=None, name="plain.html")  # type: ignore[call-overload]


# --- the debug extension -------------------------------------------------------------------------------------


async def collect(response: Response, scope: Scope) -> list[Message]:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await response(scope, receive, send)
    return messages


@pytest.mark.anyio
async def test_debug_message_is_sent_first_when_the_server_asks(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    request = make_request(extensions={"http.response.debug": {}})
    response = templates.TemplateResponse(request, "plain.html", {"k": "v"})
    messages = await collect(response, request.scope)
    assert [m["type"] for m in messages] == ["http.response.debug", "http.response.start", "http.response.body"]
    info = messages[0]["info"]
    assert info["template"] is response.template
    assert info["context"] == {"k": "v", "request": request}


@pytest.mark.anyio
async def test_no_debug_message_without_the_extension(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    for request in (make_request(), make_request(extensions={"other": {}})):
        messages = await collect(templates.TemplateResponse(request, "plain.html"), request.scope)
        assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_template_response_built_without_a_request(template_dir: Path) -> None:
    template = Jinja2Templates(directory=template_dir).get_template("plain.html")
    response = templating_module._TemplateResponse(template, {})
    messages = await collect(response, make_request().scope)
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    assert messages[1]["body"] == b"static text"


# --- url_for in templates ------------------------------------------------------------------------------------


def test_url_for_in_templates(tmp_path: Path, test_client_factory: TestClientFactory) -> None:
    from starlette_routing.routing import Mount, Route, Router

    (tmp_path / "links.html").write_text(
        "{{ url_for('home') }} {{ url_for('user', id=7) }} {{ url_for('static', path='/a.css') }}"
    )
    templates = Jinja2Templates(directory=tmp_path)

    async def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "links.html")

    async def user(request: Request) -> Response:
        return Response("")

    app = Router(
        routes=[
            Route("/", endpoint=home, name="home"),
            Route("/users/{id:int}", endpoint=user, name="user"),
            Mount("/static", app=Response("x"), name="static"),
        ]
    )
    response = test_client_factory(app, base_url="https://example.org").get("/")
    assert response.text == "https://example.org/ https://example.org/users/7 https://example.org/static/a.css"
