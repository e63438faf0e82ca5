"""Serve files from directories (``starlette.staticfiles``).

Every path a client sends is confined to the configured directories: ``..`` segments, NUL bytes, backslashes,
absolute paths and symlinks leading out of a directory (unless ``follow_symlink=True``) are all a 404, never an
``OSError``. As upstream, ``get_response`` raises ``HTTPException`` for a 404 (no ``404.html`` in html mode), a 405
or a 401: the application's exception handlers answer them (a ``StaticFiles`` served without a Starlette
application around it lets them out, as upstream). File-system calls run in the thread pool so the event loop is
never blocked on a slow disk.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
from email.utils import parsedate
from typing import Union

import anyio.to_thread

from starlette_core._utils import get_route_path
from starlette_core.datastructures import URL, Headers
from starlette_core.exceptions import HTTPException
from starlette_core.responses import FileResponse, RedirectResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocketClose

PathLike = Union[str, "os.PathLike[str]"]

# errno values that mean "this client-supplied path cannot name a file here" rather than a server fault.
_NOT_FOUND_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP})
_ALLOW = {"Allow": "GET, HEAD"}


class NotModifiedResponse(Response):
    """A bodiless 304 keeping only the headers a 304 may carry."""

    NOT_MODIFIED_HEADERS = (
        "cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "vary",
    )

    def __init__(self, headers: Headers):
        keep = self.NOT_MODIFIED_HEADERS
        super().__init__(
            status_code=304,
            headers={name: value for name, value in headers.items() if name in keep},
        )


class StaticFiles:
    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.packages = packages
        self.all_directories = self.get_directories(directory, packages)
        self.html = html
        self.config_checked = False
        self.follow_symlink = follow_symlink
        # directory -> its resolved form, filled on first use once the directory exists.
        self._roots: dict[PathLike, str] = {}
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")

    def get_directories(
        self,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
    ) -> list[PathLike]:
        """The directories to serve from: ``directory`` first, then each package's ``statics`` (or given) dir."""
        directories: list[PathLike] = []
        if directory is not None:
            directories.append(directory)
        for package in packages or []:
            if isinstance(package, tuple):
                package, statics_dir = package
            else:
                statics_dir = "statics"
            spec = importlib.util.find_spec(package)
            assert spec is not None, f"Package {package!r} could not be found."
            assert spec.origin is not None, f"Package {package!r} could not be found."
            package_directory = os.path.normpath(os.path.join(spec.origin, "..", statics_dir))
            assert os.path.isdir(package_directory), (
                f"Directory '{statics_dir!r}' in package {package!r} could not be found."
            )
            directories.append(package_directory)
        return directories

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A client's websocket handshake to a file: refused (a 403 from the server), as the router refuses one
            # that no route takes, rather than a server error (upstream asserts: a 500 and a traceback).
            await WebSocketClose()(scope, receive, send)
            return
        assert scope["type"] == "http"
        if not self.config_checked:
            await self.check_config()
            self.config_checked = True
        path = self.get_path(scope)
        response = await self.get_response(path, scope)
        await response(scope, receive, send)

    def get_path(self, scope: Scope) -> str:
        """The request's path relative to the mount point, as a normalised relative file-system path."""
        route_path = get_route_path(scope)
        return os.path.normpath(os.path.join(*route_path.split("/")))

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers=_ALLOW)
        try:
            full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, path)
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except OSError as exc:
            if exc.errno in _NOT_FOUND_ERRNOS:
                raise HTTPException(status_code=404) from None
            raise

        if stat_result is not None:
            mode = stat_result.st_mode
            if stat.S_ISREG(mode):
                return self.file_response(full_path, stat_result, scope)
            if stat.S_ISDIR(mode) and self.html:
                index_path = os.path.join(path, "index.html")
                full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, index_path)
                if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                    if not scope["path"].endswith("/"):
                        url = URL(scope=scope)
                        return RedirectResponse(url=url.replace(path=url.path + "/"))
                    return self.file_response(full_path, stat_result, scope)

        if self.html:
            full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, "404.html")
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                return FileResponse(full_path, stat_result=stat_result, status_code=404)
        raise HTTPException(status_code=404)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """Find ``path`` in the first directory holding it, never looking outside the directories."""
        if "\x00" in path or "\\" in path:
            return "", None
        for directory in self.all_directories:
            root = self._roots.get(directory)
            if root is None:
                root = self._resolve(directory)
                if os.path.isdir(root):
                    self._roots[directory] = root
            joined_path = os.path.join(root, path)
            if self.follow_symlink:
                full_path = os.path.abspath(joined_path)
            else:
                full_path = os.path.realpath(joined_path)
            if os.path.commonpath([full_path, root]) != root:
                # Outside the directory (``..``, an absolute path, a symlink leading out): not ours to serve.
                continue
            try:
                return full_path, os.stat(full_path)
            except (FileNotFoundError, NotADirectoryError):
                continue
        return "", None

    def _resolve(self, directory: PathLike) -> str:
        if self.follow_symlink:
            return os.path.abspath(directory)
        return os.path.realpath(directory)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response

    async def check_config(self) -> None:
        """Check once, at the first request, that ``directory`` exists and is a directory."""
        if self.directory is None:
            return
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.directory)
        except FileNotFoundError:
            raise RuntimeError(f"StaticFiles directory '{self.directory}' does not exist.") from None
        if not (stat.S_ISDIR(stat_result.st_mode) or stat.S_ISLNK(stat_result.st_mode)):
            raise RuntimeError(f"StaticFiles path '{self.directory}' is not a directory.")

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """Whether the client's cached copy is current.

        ``If-None-Match`` is read as upstream reads it: a comma-separated list of tags, each stripped of spaces and
        ``W/`` at either end, one of which must equal the response's ``ETag`` as it is; a ``*`` among other tags is
        just a tag. A lone ``*`` matches any file and, when the header is there, ``If-Modified-Since`` is not read
        (both RFC 9110, as upstream 1.x; 0.47.3 did neither).
        """
        if_none_match = request_headers.get("if-none-match")
        if if_none_match:
            if if_none_match.strip() == "*":
                return True
            etag = response_headers.get("etag")
            return etag is not None and any(tag.strip(" W/") == etag for tag in if_none_match.split(","))
        if_modified_since = request_headers.get("if-modified-since")
        last_modified = response_headers.get("last-modified")
        if not if_modified_since or not last_modified:
            return False
        since = parsedate(if_modified_since)
        modified = parsedate(last_modified)
        return since is not None and modified is not None and since >= modified
