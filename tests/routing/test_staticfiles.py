from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any, Callable

import pytest

from starlette_core.datastructures import Headers
from starlette_core.exceptions import HTTPException
from starlette_core.types import ASGIApp, Message
from starlette_core.websockets import WebSocketDisconnect
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Mount
from starlette_routing.staticfiles import NotModifiedResponse, StaticFiles

TestClientFactory = Callable[..., Any]


@pytest.fixture
def test_client_factory(test_client_factory: TestClientFactory, anyio_backend: str) -> TestClientFactory:
    """Serves the app behind ``ExceptionMiddleware``, which answers the ``HTTPException`` that ``StaticFiles``
    raises for a 404, 405 or 401 (as the application around a mounted ``StaticFiles`` does). (``anyio_backend``,
    which the overridden fixture uses, is named here too, for pytest 8, which does not follow the override.)"""

    def factory(app: ASGIApp, **kwargs: Any) -> Any:
        return test_client_factory(ExceptionMiddleware(app), **kwargs)

    return factory


async def call(
    asgi: StaticFiles,
    path: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    **scope_extra: Any,
) -> tuple[int, Headers, bytes]:
    """Drive ``app`` (behind ``ExceptionMiddleware``, see ``test_client_factory``) with a hand-made scope: no
    client in between normalises or re-encodes the path."""
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *(headers or [])],
    }
    scope.update(scope_extra)
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await ExceptionMiddleware(asgi)(scope, receive, send)
    start = messages[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], Headers(raw=start["headers"]), body


@pytest.fixture
def static(tmp_path: Path) -> Path:
    """tmp/static with a file and a sub directory; secrets beside it that must never be served."""
    directory = tmp_path / "static"
    directory.mkdir()
    (directory / "example.txt").write_text("hello static")
    (directory / "sub").mkdir()
    (directory / "sub" / "inner.txt").write_text("inner")
    (tmp_path / "secret.txt").write_text("top secret")
    (tmp_path / "static_other").mkdir()
    (tmp_path / "static_other" / "secret.txt").write_text("sibling secret")
    return directory


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory for html mode: index pages and a custom 404 page."""
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "index.html").write_text("<h1>home</h1>")
    (directory / "docs").mkdir()
    (directory / "docs" / "index.html").write_text("<h1>docs</h1>")
    (directory / "empty").mkdir()
    (directory / "404.html").write_text("<h1>custom not found</h1>")
    return directory


# --- serving files -------------------------------------------------------------------------------------------


def test_serves_a_file(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get("/example.txt")
    assert response.status_code == 200
    assert response.text == "hello static"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len("hello static"))
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers


def test_serves_a_file_in_a_sub_directory(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=str(static)))
    response = client.get("/sub/inner.txt")
    assert response.status_code == 200
    assert response.text == "inner"


def test_head_sends_headers_without_body(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.head("/example.txt")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len("hello static"))


def test_range_request_passes_through_to_file_response(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get("/example.txt", headers={"Range": "bytes=0-4"})
    assert response.status_code == 206
    assert response.content == b"hello"


def test_missing_file_is_plain_404(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get("/missing.txt")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_directory_is_404_without_html_mode(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/sub").status_code == 404
    assert client.get("/").status_code == 404


def test_file_below_a_file_is_404(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/example.txt/more").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"])
def test_other_methods_are_405(method: str, static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.request(method, "/example.txt")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD"


def test_non_regular_file_is_404_and_does_not_hang(static: Path, test_client_factory: TestClientFactory) -> None:
    os.mkfifo(static / "pipe")
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/pipe").status_code == 404


def test_mounted_under_a_root_path(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static), root_path="/static")
    response = client.get("/static/example.txt")
    assert response.status_code == 200
    assert response.text == "hello static"


def test_websocket_handshake_is_refused_not_a_server_error(
    static: Path, test_client_factory: TestClientFactory
) -> None:
    # A client's websocket handshake to a file closes before accepting (the server answers 403), as one to a path
    # no route takes; upstream's StaticFiles asserts (a 500 and a traceback in the server's log).
    client = test_client_factory(Starlette(routes=[Mount("/static", StaticFiles(directory=static))]))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/static/example.txt"):
        pass  # pragma: no cover (the handshake is refused)
    assert info.value.code == 1000


# --- html mode -----------------------------------------------------------------------------------------------


def test_html_mode_serves_index_for_root(site: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "<h1>home</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_html_mode_serves_index_for_directory(site: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/docs/")
    assert response.status_code == 200
    assert response.text == "<h1>docs</h1>"


def test_html_mode_redirects_directory_to_trailing_slash(site: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=site, html=True), follow_redirects=False)
    response = client.get("/docs?x=1")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/docs/?x=1"


@pytest.mark.anyio
async def test_html_mode_redirect_of_double_slash_path_stays_on_site(site: Path) -> None:
    (site / "evil.com").mkdir()
    (site / "evil.com" / "index.html").write_text("x")
    status, headers, _ = await call(StaticFiles(directory=site, html=True), "//evil.com")
    assert status == 307
    assert headers["location"] == "http://testserver//evil.com/"


def test_html_mode_serves_custom_404_page(site: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.text == "<h1>custom not found</h1>"


def test_html_mode_directory_without_index_gets_404_page(site: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/empty/")
    assert response.status_code == 404
    assert response.text == "<h1>custom not found</h1>"


def test_html_mode_without_404_page_is_plain_404(site: Path, test_client_factory: TestClientFactory) -> None:
    (site / "404.html").unlink()
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_html_mode_404_page_must_be_a_file(site: Path, test_client_factory: TestClientFactory) -> None:
    (site / "404.html").unlink()
    (site / "404.html").mkdir()
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_html_mode_index_must_be_a_file(site: Path, test_client_factory: TestClientFactory) -> None:
    (site / "docs" / "index.html").unlink()
    (site / "docs" / "index.html").mkdir()
    client = test_client_factory(StaticFiles(directory=site, html=True))
    response = client.get("/docs/")
    assert response.status_code == 404
    assert response.text == "<h1>custom not found</h1>"


# --- conditional requests ------------------------------------------------------------------------------------


def test_etag_match_gives_304(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    first = client.get("/example.txt")
    etag = first.headers["etag"]
    response = client.get("/example.txt", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    # Only the headers a 304 may carry.
    assert "content-type" not in response.headers
    assert "last-modified" not in response.headers
    assert "content-length" not in response.headers


@pytest.mark.parametrize(
    "template",
    ['"nope", {etag}', '"nope",{etag} , "other"', "W/{etag}", '"nope", W/{etag}', "*"],
)
def test_etag_lists_weak_tags_and_star_give_304(
    template: str, static: Path, test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    etag = client.get("/example.txt").headers["etag"]
    response = client.get("/example.txt", headers={"if-none-match": template.format(etag=etag)})
    assert response.status_code == 304


def test_etag_mismatch_gives_200(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get("/example.txt", headers={"if-none-match": '"other", W/"another"'})
    assert response.status_code == 200
    assert response.text == "hello static"


def test_if_none_match_wins_over_if_modified_since(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    last_modified = client.get("/example.txt").headers["last-modified"]
    response = client.get("/example.txt", headers={"if-none-match": '"other"', "if-modified-since": last_modified})
    assert response.status_code == 200


def test_if_modified_since(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    last_modified = client.get("/example.txt").headers["last-modified"]
    assert client.get("/example.txt", headers={"if-modified-since": last_modified}).status_code == 304
    later = formatdate(time.time() + 3600, usegmt=True)
    assert client.get("/example.txt", headers={"if-modified-since": later}).status_code == 304
    earlier = formatdate(os.stat(static / "example.txt").st_mtime - 3600, usegmt=True)
    response = client.get("/example.txt", headers={"if-modified-since": earlier})
    assert response.status_code == 200
    assert response.text == "hello static"


def test_unparsable_if_modified_since_is_ignored(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get("/example.txt", headers={"if-modified-since": "not a date"})
    assert response.status_code == 200


def test_is_not_modified_needs_a_validator_on_the_response() -> None:
    app = StaticFiles(directory=None, check_dir=False)
    empty = Headers({})
    assert app.is_not_modified(empty, Headers({"if-none-match": '"abc"'})) is False
    assert app.is_not_modified(empty, Headers({"if-none-match": "*"})) is True
    date = formatdate(usegmt=True)
    assert app.is_not_modified(empty, Headers({"if-modified-since": date})) is False
    assert app.is_not_modified(Headers({"last-modified": "garbage"}), Headers({"if-modified-since": date})) is False
    assert app.is_not_modified(Headers({"last-modified": date}), Headers({})) is False


def test_not_modified_response_keeps_only_allowed_headers() -> None:
    headers = Headers(
        {
            "etag": '"x"',
            "cache-control": "max-age=60",
            "vary": "accept-encoding",
            "content-type": "text/plain",
            "content-length": "5",
            "last-modified": formatdate(usegmt=True),
        }
    )
    response = NotModifiedResponse(headers)
    assert response.status_code == 304
    assert response.body == b""
    assert dict(response.headers) == {"etag": '"x"', "cache-control": "max-age=60", "vary": "accept-encoding"}
    assert set(NotModifiedResponse.NOT_MODIFIED_HEADERS) == {
        "cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "vary",
    }


def test_file_response_with_status_code(static: Path) -> None:
    app = StaticFiles(directory=static)
    path = str(static / "example.txt")
    scope = {"type": "http", "method": "GET", "headers": []}
    response = app.file_response(path, os.stat(path), scope, status_code=203)
    assert response.status_code == 203


# --- configuration -------------------------------------------------------------------------------------------


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(RuntimeError, match=r"^Directory '.*missing' does not exist$"):
        StaticFiles(directory=missing)


def test_check_dir_false_defers_the_check_to_first_request(
    tmp_path: Path, test_client_factory: TestClientFactory
) -> None:
    missing = tmp_path / "later"
    app = StaticFiles(directory=missing, check_dir=False)
    client = test_client_factory(app)
    with pytest.raises(RuntimeError, match=r"^StaticFiles directory '.*later' does not exist\.$"):
        client.get("/x.txt")
    assert app.config_checked is False
    missing.mkdir()
    (missing / "x.txt").write_text("now here")
    assert client.get("/x.txt").text == "now here"
    assert app.config_checked is True


def test_directory_that_is_a_file_is_refused_at_first_request(
    tmp_path: Path, test_client_factory: TestClientFactory
) -> None:
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    client = test_client_factory(StaticFiles(directory=not_a_dir, check_dir=False))
    with pytest.raises(RuntimeError, match=r"^StaticFiles path '.*file\.txt' is not a directory\.$"):
        client.get("/")


def test_directory_created_after_a_lookup_is_used(tmp_path: Path) -> None:
    directory = tmp_path / "created-later"
    app = StaticFiles(directory=directory, check_dir=False)
    assert app.lookup_path("a.txt") == ("", None)
    directory.mkdir()
    (directory / "a.txt").write_text("a")
    full_path, stat_result = app.lookup_path("a.txt")
    assert stat_result is not None
    assert full_path == os.path.realpath(directory / "a.txt")
    assert app.lookup_path("a.txt")[0] == full_path


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable package ``staticpkg`` with a ``statics`` and an ``assets`` directory."""
    root = tmp_path / "pkgroot"
    pkg = root / "staticpkg"
    (pkg / "statics").mkdir(parents=True)
    (pkg / "assets").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "statics" / "style.css").write_text("body {}")
    (pkg / "assets" / "app.js").write_text("run()")
    (root / "nsonly").mkdir()  # a namespace package: no __init__, no origin
    monkeypatch.syspath_prepend(str(root))
    yield "staticpkg"
    for name in ("staticpkg", "nsonly"):
        sys.modules.pop(name, None)


def test_packages_default_to_their_statics_directory(package: str, test_client_factory: TestClientFactory) -> None:
    app = StaticFiles(packages=[package])
    client = test_client_factory(app)
    assert client.get("/style.css").text == "body {}"
    assert client.get("/app.js").status_code == 404


def test_packages_with_a_named_directory(package: str, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(packages=[(package, "assets")]))
    assert client.get("/app.js").text == "run()"


def test_directory_comes_before_packages(package: str, static: Path, test_client_factory: TestClientFactory) -> None:
    (static / "style.css").write_text("mine")
    app = StaticFiles(directory=static, packages=[package, (package, "assets")])
    assert len(app.all_directories) == 3
    client = test_client_factory(app)
    assert client.get("/style.css").text == "mine"
    assert client.get("/app.js").text == "run()"
    assert client.get("/example.txt").text == "hello static"


def test_get_directories(package: str, static: Path) -> None:
    app = StaticFiles(directory=static)
    directories = app.get_directories(static, [package])
    assert directories[0] == static
    assert Path(directories[1]).parts[-2:] == ("staticpkg", "statics")
    assert app.get_directories() == []


def test_unknown_package_is_refused(package: str) -> None:
    with pytest.raises(AssertionError, match=r"^Package 'no_such_package_here' could not be found\.$"):
        StaticFiles(packages=["no_such_package_here"])


def test_namespace_package_is_refused(package: str) -> None:
    with pytest.raises(AssertionError, match=r"^Package 'nsonly' could not be found\.$"):
        StaticFiles(packages=["nsonly"])


def test_package_without_the_directory_is_refused(package: str) -> None:
    with pytest.raises(AssertionError, match=r"^Directory ''nothere'' in package 'staticpkg' could not be found\.$"):
        StaticFiles(packages=[(package, "nothere")])


# --- bad input: never outside the directory, never a 500 -----------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/sub/../../../../../../../../etc/passwd",
        "/../static_other/secret.txt",
        "/..",
        "/../",
    ],
)
async def test_dot_dot_segments_are_404(path: str, static: Path) -> None:
    status, _, body = await call(StaticFiles(directory=static), path)
    assert status == 404
    assert body == b"Not Found"


@pytest.mark.parametrize(
    "path",
    [
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/%2e%2e/static_other/secret.txt",
        "/%2e%2e%2fstatic_other%2fsecret.txt",
    ],
)
def test_percent_encoded_dot_dot_is_404(path: str, static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    response = client.get(path)
    assert response.status_code == 404
    assert response.text == "Not Found"


@pytest.mark.anyio
async def test_sibling_directory_with_common_prefix_is_not_served(static: Path) -> None:
    # A check by string prefix would let "/tmp/static_other/..." pass for the directory "/tmp/static".
    app = StaticFiles(directory=static)
    status, _, body = await call(app, "/../static_other/secret.txt")
    assert (status, body) == (404, b"Not Found")
    assert app.lookup_path("../static_other/secret.txt") == ("", None)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/example.txt\x00", "/\x00/etc/passwd", "/ex\x00ample.txt", "/sub/\x00"])
async def test_nul_bytes_are_404(path: str, static: Path) -> None:
    status, _, _ = await call(StaticFiles(directory=static), path)
    assert status == 404


@pytest.mark.parametrize("path", ["/example.txt%00", "/%00", "/example.txt%00.png"])
def test_percent_encoded_nul_bytes_are_404(path: str, static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get(path).status_code == 404


@pytest.mark.anyio
async def test_absolute_paths_are_404(tmp_path: Path, static: Path) -> None:
    app = StaticFiles(directory=static)
    secret = str(tmp_path / "secret.txt")
    # Through a request the leading slashes collapse into the directory...
    status, _, _ = await call(app, "/" + secret)
    assert status == 404
    # ...and called directly an absolute path never reaches outside it.
    assert app.lookup_path(secret) == ("", None)
    with pytest.raises(HTTPException) as info:
        await app.get_response(secret, {"type": "http", "method": "GET", "headers": []})
    assert info.value.status_code == 404


@pytest.mark.anyio
async def test_absolute_path_inside_the_directory_is_still_confined(static: Path) -> None:
    app = StaticFiles(directory=static)
    inside = str(static / "example.txt")
    full_path, stat_result = app.lookup_path(inside)
    assert stat_result is not None
    assert full_path == os.path.realpath(inside)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/..\\secret.txt", "/sub\\..\\..\\secret.txt", "/sub\\inner.txt", "/\\etc\\passwd"])
async def test_backslash_paths_are_404(path: str, static: Path) -> None:
    status, _, _ = await call(StaticFiles(directory=static), path)
    assert status == 404


@pytest.mark.anyio
async def test_backslash_is_refused_even_where_the_name_exists(static: Path) -> None:
    # On POSIX a backslash is an ordinary character; refusing it keeps paths meaning the same on every platform.
    (static / "sub\\inner.txt").write_text("backslashed")
    status, _, body = await call(StaticFiles(directory=static), "/sub\\inner.txt")
    assert (status, body) == (404, b"Not Found")


def test_percent_encoded_backslash_is_404(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/..%5csecret.txt").status_code == 404
    assert client.get("/sub%5cinner.txt").status_code == 404


@pytest.fixture
def symlinked(static: Path, tmp_path: Path) -> Path:
    """Links inside ``static``: one to a file outside, one to a directory outside, one to a file inside."""
    (static / "out.txt").symlink_to(tmp_path / "secret.txt")
    (static / "outdir").symlink_to(tmp_path / "static_other", target_is_directory=True)
    (static / "in.txt").symlink_to(static / "example.txt")
    return static


def test_symlink_out_of_the_directory_is_404(symlinked: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=symlinked))
    assert client.get("/out.txt").status_code == 404
    assert client.get("/outdir/secret.txt").status_code == 404


def test_symlink_within_the_directory_is_served(symlinked: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=symlinked))
    assert client.get("/in.txt").text == "hello static"


def test_follow_symlink_serves_links_out_of_the_directory(
    symlinked: Path, test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(StaticFiles(directory=symlinked, follow_symlink=True))
    assert client.get("/out.txt").text == "top secret"
    assert client.get("/outdir/secret.txt").text == "sibling secret"
    assert client.get("/in.txt").text == "hello static"


@pytest.mark.anyio
async def test_follow_symlink_still_refuses_dot_dot(symlinked: Path) -> None:
    app = StaticFiles(directory=symlinked, follow_symlink=True)
    for path in ("/../secret.txt", "/../static_other/secret.txt", "/outdir/../../secret.txt"):
        status, _, _ = await call(app, path)
        assert status == 404


def test_directory_reached_through_a_symlink(
    static: Path, tmp_path: Path, test_client_factory: TestClientFactory
) -> None:
    link = tmp_path / "link"
    link.symlink_to(static, target_is_directory=True)
    client = test_client_factory(StaticFiles(directory=link))
    assert client.get("/example.txt").text == "hello static"
    assert client.get("/%2e%2e/secret.txt").status_code == 404


def test_symlink_loop_is_404(static: Path, test_client_factory: TestClientFactory) -> None:
    (static / "loop-a").symlink_to(static / "loop-b")
    (static / "loop-b").symlink_to(static / "loop-a")
    client = test_client_factory(StaticFiles(directory=static, follow_symlink=True))
    assert client.get("/loop-a").status_code == 404


def test_overlong_name_is_404(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/" + "a" * 5000).status_code == 404
    assert client.get("/" + "a" * 300 + ".txt").status_code == 404


class _Failing(StaticFiles):
    def __init__(self, error: OSError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        raise self.error


def test_permission_error_is_401(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(_Failing(PermissionError(errno.EACCES, "denied"), directory=static))
    response = client.get("/example.txt")
    assert response.status_code == 401
    assert response.text == "Unauthorized"


def test_unexpected_os_error_propagates(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(_Failing(OSError(errno.EIO, "disk on fire"), directory=static))
    with pytest.raises(OSError, match="disk on fire"):
        client.get("/example.txt")


def test_get_path_normalises_the_route_path(static: Path) -> None:
    app = StaticFiles(directory=static)
    assert app.get_path({"path": "/a/b/../c.txt", "root_path": ""}) == os.path.join("a", "c.txt")
    assert app.get_path({"path": "/static/x//y.txt", "root_path": "/static"}) == os.path.join("x", "y.txt")
    assert app.get_path({"path": "/", "root_path": ""}) == "."


def test_stat_runs_off_the_event_loop(static: Path, test_client_factory: TestClientFactory) -> None:
    import threading

    lookups: list[int] = []
    loop: list[int] = []

    class Recording(StaticFiles):
        def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
            lookups.append(threading.get_ident())
            return super().lookup_path(path)

    static_app = Recording(directory=static)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        loop.append(threading.get_ident())
        await static_app(scope, receive, send)

    assert test_client_factory(app).get("/example.txt").status_code == 200
    assert len(lookups) == 1
    assert len(loop) == 1
    assert lookups[0] != loop[0]


# --- mounted in an application -------------------------------------------------------------------------------


def test_mounted_in_an_application(static: Path, test_client_factory: TestClientFactory) -> None:
    from starlette_routing.applications import Starlette
    from starlette_routing.routing import Mount

    app = Starlette(routes=[Mount("/static", app=StaticFiles(directory=static), name="static")])
    client = test_client_factory(app)
    response = client.get("/static/sub/inner.txt")
    assert response.status_code == 200
    assert response.text == "inner"
    assert client.get("/static/%2e%2e/secret.txt").status_code == 404
    assert client.get("/static/%2e%2e/static_other/secret.txt").status_code == 404
    response = client.post("/static/example.txt")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_exception_handlers_see_missing_files(static: Path, test_client_factory: TestClientFactory) -> None:
    from starlette_core.requests import Request
    from starlette_core.responses import PlainTextResponse, Response
    from starlette_routing.applications import Starlette
    from starlette_routing.routing import Mount

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return PlainTextResponse(f"custom {exc.status_code} for {request.url.path}", status_code=exc.status_code)

    app = Starlette(
        routes=[Mount("/static", app=StaticFiles(directory=static))],
        exception_handlers={404: not_found, 405: not_found},
    )
    client = test_client_factory(app)
    response = client.get("/static/missing.txt")
    assert response.status_code == 404
    assert response.text == "custom 404 for /static/missing.txt"
    response = client.delete("/static/example.txt")
    assert response.status_code == 405
    assert response.text == "custom 405 for /static/example.txt"


def test_html_mode_redirect_inside_a_mount(site: Path, test_client_factory: TestClientFactory) -> None:
    from starlette_routing.applications import Starlette
    from starlette_routing.routing import Mount

    app = Starlette(routes=[Mount("/site", app=StaticFiles(directory=site, html=True))])
    client = test_client_factory(app, follow_redirects=False)
    response = client.get("/site/docs")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/site/docs/"
    assert client.get("/site/docs/").text == "<h1>docs</h1>"
    assert client.get("/site/").text == "<h1>home</h1>"
