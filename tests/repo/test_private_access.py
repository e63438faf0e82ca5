"""No distribution touches another distribution's private names.

Every ``packages/*/src/starlette*/**/*.py`` (the five ``starlette_*`` distributions and the ``starlette``
meta-package) is read with :mod:`ast` -- nothing is imported -- and each of these is a failure, reported as
``file:line: what``:

(a) a private name (leading ``_``, not a dunder) of another distribution, reached by
    ``from starlette_x.mod import _name``, or by ``import starlette_x.mod`` then ``starlette_x.mod._name`` (also
    through ``import ... as alias``, and ``getattr(module, "_name")``), unless ``ALLOWED_PRIVATE_NAMES`` lists it.
(b) a private module of another distribution (a dotted path with a component that starts with ``_``, such as
    ``starlette_core._utils``), unless ``ALLOWED_INTERNAL_MODULES`` lists it. Those are the documented shared
    internals of a lower distribution, and what is imported from them must itself have a public name. Any import of
    a sibling distribution that the dependency column (``DEPENDENCIES``) does not allow is a failure too, whatever
    the module.
(c) ``obj._attr`` (read, written or deleted) and ``getattr``/``hasattr``/``setattr``/``delattr(obj, "_attr")``
    with a constant name, where ``obj`` is not ``self``/``cls`` and ``_attr`` is private to another distribution.

The heuristic for (c): types are not inferred, so "private to another distribution" means *by name*. A private
name counts as defined by a distribution when one of its files has a ``def``/``class`` of that name (methods
included), assigns ``self._attr``/``cls._attr``, or assigns it in a class body or at module level. A name that the
reading file's own distribution also defines is left alone (it may be its own attribute), and so is a name that
no distribution of ours defines (``sys._getframe``...). A dotted path that names a module (``starlette_core.requests``
after ``import starlette_core.requests``) is a module reference: (a) and (b) judge it, not (c). That is what lets
the meta-package's files do their one job, ``sys.modules[__name__] = starlette_core._utils``; everything else in
them is checked like any other file. Imports are collected wherever they appear (``TYPE_CHECKING`` blocks and
function bodies too); relative imports stay inside their distribution and are not checked; imports by string
(``importlib.import_module``) are not seen.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[2] / "packages"

# The dependency column of DESIGN.md: which sibling distributions each one may import.
DEPENDENCIES: dict[str, frozenset[str]] = {
    "starlette_core": frozenset(),
    "starlette_middleware": frozenset({"starlette_core"}),
    "starlette_routing": frozenset({"starlette_core", "starlette_middleware"}),
    "starlette_auth": frozenset({"starlette_core"}),
    "starlette_testing": frozenset({"starlette_core"}),
    "starlette": frozenset(
        {"starlette_core", "starlette_middleware", "starlette_routing", "starlette_auth", "starlette_testing"}
    ),
}

# (module, private name) -> why another distribution may import it.
ALLOWED_PRIVATE_NAMES: dict[tuple[str, str], str] = {
    ("starlette_middleware", "_MiddlewareFactory"): (
        "upstream's public namespace has starlette.middleware._MiddlewareFactory,"
        " and upstream's applications module imports it"
    ),
}

# Private modules that are documented shared internals of a lower distribution -> what they are for.
ALLOWED_INTERNAL_MODULES: dict[str, str] = {
    "starlette_core._utils": (
        "small helpers every layer needs (is_async_callable, collapse_excgroups, get_route_path...);"
        " upstream's starlette._utils"
    ),
    "starlette_core._exception_handler": (
        "turning an endpoint's exceptions into the app's exception-handler responses, shared by"
        " ExceptionMiddleware, ServerErrorMiddleware and routing; upstream's starlette._exception_handler"
    ),
    "starlette_core._request_body": (
        "how far a Request has got with its body (its cached body, whether its stream is consumed),"
        " for BaseHTTPMiddleware, which passes the body on to the app"
    ),
    "starlette_middleware._body_limit": (
        "the request body limit of starlette_middleware.body_limit as Starlette, Router, Mount and Route apply"
        " their max_body_size (one mechanism with RequestBodyLimitMiddleware)"
    ),
}

REFLECTION = frozenset({"getattr", "hasattr", "setattr", "delattr"})
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
VERBS = {ast.Load: "reads", ast.Store: "writes", ast.Del: "deletes"}

# Where a hit is: (path, line, what).
Hit = tuple[Path, int, str]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    distribution: str  # the import name of the distribution it belongs to
    module: str
    tree: ast.Module


@dataclass(frozen=True)
class FileContext:
    """What the checks of one file need to know about the file and the rest of the workspace."""

    distribution: str
    distributions: frozenset[str]
    modules: frozenset[str]
    aliases: dict[str, str]  # a name bound by an import in the file -> the module of ours it is
    foreign: dict[str, str]  # a name private to other distributions only -> which ones

    def foreign_owner(self, module: str) -> str | None:
        """The distribution of ``module`` when it is one of ours other than this file's, else None."""
        owner = module.partition(".")[0]
        return owner if owner in self.distributions and owner != self.distribution else None


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_private_module(module: str) -> bool:
    return any(is_private(part) for part in module.split("."))


def is_self_or_cls(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


# -- reading the workspace ---------------------------------------------------------------------------------------


def load_sources(packages: Path) -> list[SourceFile]:
    """Every Python file of every distribution under ``packages``, parsed."""
    sources = []
    for package in sorted(packages.glob("*/src/starlette*")):
        if not (package.is_dir() and package.name.isidentifier()):
            continue
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(package.parent).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            sources.append(SourceFile(path, package.name, module, tree))
    return sources


def scope_statements(node: ast.AST) -> Iterator[ast.stmt]:
    """The statements that run in ``node``'s own scope: into if/try/with/for blocks, not into defs or classes."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield child
        if not isinstance(child, (*DEFINITIONS, ast.expr)):
            yield from scope_statements(child)


def assigned_names(statement: ast.stmt) -> Iterator[str]:
    """The plain names an assignment statement binds."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    else:
        return
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                yield node.id


def defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a file defines: defs and classes, ``self``/``cls`` attributes, class-body and module names."""
    names: set[str] = set()
    for scope in [tree, *(node for node in ast.walk(tree) if isinstance(node, ast.ClassDef))]:
        for statement in scope_statements(scope):
            names.update(assigned_names(statement))
    for node in ast.walk(tree):
        if isinstance(node, DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_self_or_cls(node.value):
            names.add(node.attr)
    return {name for name in names if is_private(name)}


def foreign_private_names(defined: dict[str, set[str]], distribution: str) -> dict[str, str]:
    """Private names defined by other distributions and not by ``distribution`` -> the distributions."""
    own = defined.get(distribution, set())
    owners: dict[str, list[str]] = {}
    for other, names in sorted(defined.items()):
        if other != distribution:
            for name in names - own:
                owners.setdefault(name, []).append(other)
    return {name: ", ".join(others) for name, others in owners.items()}


def import_targets(node: ast.Import | ast.ImportFrom, modules: frozenset[str]) -> list[tuple[str, str | None]]:
    """``(module, name)`` for what an absolute import reaches; ``name`` is None for a module imported whole."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names]
    if node.level or node.module is None:
        return []
    base = node.module
    return [(f"{base}.{a.name}", None) if f"{base}.{a.name}" in modules else (base, a.name) for a in node.names]


def module_aliases(tree: ast.Module, modules: frozenset[str]) -> dict[str, str]:
    """Names the file's imports bind to modules of ours: ``import a.b`` binds ``a``, ``import a.b as m`` binds
    ``m`` to ``a.b``, and ``from a import b`` binds ``b`` when ``a.b`` is a module."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.name if alias.asname else alias.name.partition(".")[0]
                aliases[alias.asname or bound] = bound
        elif isinstance(node, ast.ImportFrom):
            for alias, (module, name) in zip(node.names, import_targets(node, modules)):
                if name is None:
                    aliases[alias.asname or alias.name] = module
    return {name: module for name, module in aliases.items() if module in modules}


# -- judging what a file reaches ---------------------------------------------------------------------------------


def dependency_problem(context: FileContext, module: str) -> str | None:
    owner = context.foreign_owner(module)
    if owner is None or owner in DEPENDENCIES.get(context.distribution, frozenset()):
        return None
    return f"imports {module}, but {context.distribution} may not depend on {owner}"


def module_problem(context: FileContext, module: str) -> str | None:
    if context.foreign_owner(module) is None or not is_private_module(module) or module in ALLOWED_INTERNAL_MODULES:
        return None
    return f"uses {module}, a private module of another distribution not in ALLOWED_INTERNAL_MODULES"


def name_problem(context: FileContext, module: str, name: str) -> str | None:
    if context.foreign_owner(module) is None or not is_private(name) or (module, name) in ALLOWED_PRIVATE_NAMES:
        return None
    return f"uses {name} from {module}: private to another distribution"


def foreign_attribute_problem(context: FileContext, obj: ast.expr, attr: str, what: str) -> str | None:
    if attr not in context.foreign or is_self_or_cls(obj):
        return None
    return f"{what} (private to {context.foreign[attr]})"


def module_path(context: FileContext, node: ast.expr) -> tuple[str, list[str]] | None:
    """For a dotted path that starts at an imported module of ours: the longest module it names, and the rest."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.insert(0, node.attr)
        node = node.value
    if not (isinstance(node, ast.Name) and node.id in context.aliases):
        return None
    parts = [*context.aliases[node.id].split("."), *attrs]
    end = max(end for end in range(1, len(parts) + 1) if ".".join(parts[:end]) in context.modules)
    return ".".join(parts[:end]), parts[end:]


def import_problems(context: FileContext, node: ast.Import | ast.ImportFrom) -> Iterator[str | None]:
    for module, name in import_targets(node, context.modules):
        yield dependency_problem(context, module)
        yield module_problem(context, module)
        if name is not None:
            yield name_problem(context, module, name)


def attribute_problem(context: FileContext, node: ast.Attribute) -> str | None:
    path = module_path(context, node)
    if path is not None and len(path[1]) <= 1:
        module, rest = path
        return name_problem(context, module, rest[0]) if rest else module_problem(context, module)
    return foreign_attribute_problem(context, node.value, node.attr, f"{VERBS[type(node.ctx)]} .{node.attr}")


def reflection_problem(context: FileContext, call: ast.Call) -> str | None:
    """``getattr(obj, "_attr")`` and its siblings, judged as ``obj._attr`` would be."""
    if not (isinstance(call.func, ast.Name) and call.func.id in REFLECTION and len(call.args) >= 2):
        return None
    obj, attr = call.args[0], call.args[1]
    if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
        return None
    path = module_path(context, obj)
    if path is not None and not path[1]:
        return name_problem(context, path[0], attr.value)
    return foreign_attribute_problem(context, obj, attr.value, f"{call.func.id}(..., {attr.value!r})")


def file_problems(context: FileContext, tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        problems: Iterable[str | None]
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            problems = import_problems(context, node)
        elif isinstance(node, ast.Attribute):
            problems = [attribute_problem(context, node)]
        elif isinstance(node, ast.Call):
            problems = [reflection_problem(context, node)]
        else:
            continue
        yield from ((node.lineno, problem) for problem in problems if problem is not None)


def scan(packages: Path) -> list[str]:
    """``path:line: what`` for every place a distribution under ``packages`` touches another's private names."""
    sources = load_sources(packages)
    distributions = frozenset(source.distribution for source in sources)
    modules = frozenset(source.module for source in sources)
    defined: dict[str, set[str]] = {}
    for source in sources:
        defined.setdefault(source.distribution, set()).update(defined_private_names(source.tree))
    hits: list[Hit] = []
    for source in sources:
        aliases = module_aliases(source.tree, modules)
        foreign = foreign_private_names(defined, source.distribution)
        context = FileContext(source.distribution, distributions, modules, aliases, foreign)
        hits.extend((source.path, line, problem) for line, problem in file_problems(context, source.tree))
    return [f"{path.relative_to(packages.parent)}:{line}: {problem}" for path, line, problem in sorted(hits)]


# -- the workspace as it is ----------------------------------------------------------------------------------------


def test_no_distribution_touches_another_distributions_private_names() -> None:
    hits = scan(PACKAGES)
    assert not hits, "private names used across distributions:\n" + "\n".join(hits)


def test_every_distribution_has_a_place_in_the_dependency_column() -> None:
    assert {source.distribution for source in load_sources(PACKAGES)} == set(DEPENDENCIES)


def test_the_allow_lists_name_what_exists() -> None:
    sources = load_sources(PACKAGES)
    modules = {source.module for source in sources}
    for module in ALLOWED_INTERNAL_MODULES:
        assert module in modules and is_private_module(module), module
    defined = {name for source in sources for name in defined_private_names(source.tree)}
    for module, name in ALLOWED_PRIVATE_NAMES:
        assert module in modules and name in defined, (module, name)


# -- the scanner, on made-up distributions -------------------------------------------------------------------------

CORE = {
    "starlette_core/__init__.py": "__version__ = '1'\n",
    "starlette_core/requests.py": """
        class Request:
            _stream_consumed = False
            __slots__ = ()

            def __init__(self) -> None:
                self._body = b""

            def _read(self) -> None: ...

        _CACHE: dict[str, str] = {}
        """,
    "starlette_core/_utils.py": "def shared() -> None: ...\ndef _secret() -> None: ...\n",
    "starlette_core/_hidden.py": "def thing() -> None: ...\n",
    "starlette_middleware/__init__.py": "class _MiddlewareFactory: ...\nclass _Other: ...\n",
    "starlette_middleware/_shared.py": "def helper() -> None: ...\n",
    "starlette_routing/__init__.py": "",
    "starlette_auth/__init__.py": "",
    "starlette_testing/__init__.py": "",
    "starlette/__init__.py": "",
}


def scan_files(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Lay out ``files`` (``import_name/module.py`` -> source) as distributions under tmp_path and scan them."""
    packages = tmp_path / "packages"
    for relative, text in {**CORE, **files}.items():
        top = relative.partition("/")[0]
        path = packages / top.replace("_", "-") / "src" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return scan(packages)


def test_the_made_up_distributions_alone_are_clean(tmp_path: Path) -> None:
    assert scan_files(tmp_path, {}) == []


def test_hits_name_the_file_and_line(tmp_path: Path) -> None:
    hits = scan_files(
        tmp_path, {"starlette_middleware/base.py": "import os\nfrom starlette_core.requests import _CACHE\n"}
    )
    assert hits == [
        "packages/starlette-middleware/src/starlette_middleware/base.py:2: "
        "uses _CACHE from starlette_core.requests: private to another distribution"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "from starlette_core.requests import _CACHE",
        "from starlette_core.requests import Request, _read as read",
        "from starlette_core import _anything",
        "import starlette_core.requests\nstarlette_core.requests._CACHE",
        "import starlette_core.requests as r\nr._CACHE.clear()",
        "from starlette_core import requests\nrequests._CACHE = {}",
        "import starlette_core.requests\ngetattr(starlette_core.requests, '_CACHE')",
        "from starlette_middleware import _Other",
    ],
)
def test_a_private_name_of_another_distribution_is_a_hit(tmp_path: Path, source: str) -> None:
    hits = scan_files(tmp_path, {"starlette_routing/app.py": source})
    assert len(hits) == 1 and ": uses _" in hits[0]


@pytest.mark.parametrize(
    "source",
    [
        "from starlette_core import __version__",
        "from starlette_middleware import _MiddlewareFactory",
        "from starlette_core.requests import Request",
        "import starlette_core.requests\nstarlette_core.requests.Request",
        "import asyncio\nasyncio._get_running_loop()",
        "from typing import _SpecialForm",
    ],
)
def test_public_dunder_allowed_and_foreign_names_are_not_hits(tmp_path: Path, source: str) -> None:
    assert scan_files(tmp_path, {"starlette_routing/app.py": source}) == []


def test_a_distribution_may_use_its_own_private_names(tmp_path: Path) -> None:
    source = "from starlette_core.requests import _CACHE, Request\nfrom starlette_core._hidden import thing\n"
    source += "def f(request: Request) -> None:\n    request._body = request._stream_consumed\n"
    assert scan_files(tmp_path, {"starlette_core/other.py": source}) == []


@pytest.mark.parametrize(
    "source",
    [
        "from starlette_core._hidden import thing",
        "from starlette_core import _hidden",
        "import starlette_core._hidden",
        "import starlette_core\nstarlette_core._hidden.thing()",
    ],
)
def test_a_private_module_not_allowed_is_a_hit(tmp_path: Path, source: str) -> None:
    hits = scan_files(tmp_path, {"starlette_middleware/base.py": source})
    assert len(hits) == 1 and "private module of another distribution" in hits[0] and "_hidden" in hits[0]


@pytest.mark.parametrize(
    "source",
    [
        "from starlette_core._utils import shared",
        "from starlette_core import _utils",
        "import starlette_core._utils\nstarlette_core._utils.shared()",
        "from starlette_core import _utils as u\nu.shared()",
    ],
)
def test_public_names_of_an_allowed_internal_module_are_not_hits(tmp_path: Path, source: str) -> None:
    assert scan_files(tmp_path, {"starlette_middleware/base.py": source}) == []


@pytest.mark.parametrize(
    "source",
    [
        "from starlette_core._utils import _secret",
        "from starlette_core import _utils\n_utils._secret()",
        "import starlette_core._utils\nhasattr(starlette_core._utils, '_secret')",
    ],
)
def test_private_names_of_an_allowed_internal_module_are_hits(tmp_path: Path, source: str) -> None:
    hits = scan_files(tmp_path, {"starlette_middleware/base.py": source})
    assert len(hits) == 1 and "uses _secret from starlette_core._utils" in hits[0]


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("starlette_core", "import starlette_middleware"),
        ("starlette_core", "from starlette.requests import Request"),
        ("starlette_middleware", "from starlette_routing import Router"),
        ("starlette_auth", "from starlette_middleware import Middleware"),
        ("starlette_testing", "import starlette_routing.routing"),
        ("starlette_routing", "from starlette_auth import requires"),
        ("starlette_other", "from starlette_core import requests"),
    ],
)
def test_an_import_against_the_dependency_column_is_a_hit(tmp_path: Path, importer: str, source: str) -> None:
    hits = scan_files(tmp_path, {f"{importer}/mod.py": source})
    assert len(hits) == 1 and f"but {importer} may not depend on" in hits[0]


def test_an_allowed_internal_module_of_a_distribution_not_below_is_a_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ALLOWED_INTERNAL_MODULES, "starlette_middleware._shared", "made up for this test")
    assert scan_files(tmp_path, {"starlette_routing/a.py": "from starlette_middleware._shared import helper"}) == []
    hits = scan_files(tmp_path, {"starlette_auth/a.py": "from starlette_middleware._shared import helper"})
    assert len(hits) == 1 and "starlette_auth may not depend on starlette_middleware" in hits[0]


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("starlette_middleware", "from starlette_core.requests import Request"),
        ("starlette_routing", "import starlette_core.requests, starlette_middleware"),
        ("starlette_auth", "from starlette_core._utils import shared"),
        ("starlette_testing", "import starlette_core"),
        (
            "starlette",
            "import starlette_core, starlette_middleware, starlette_routing, starlette_auth, starlette_testing",
        ),
        ("starlette_routing", "from . import sibling\nfrom .sibling import _private"),
    ],
)
def test_imports_the_dependency_column_allows_are_not_hits(tmp_path: Path, importer: str, source: str) -> None:
    assert scan_files(tmp_path, {f"{importer}/mod.py": source}) == []


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("request._body", "reads ._body"),
        ("request._stream_consumed = True", "writes ._stream_consumed"),
        ("del request._body", "deletes ._body"),
        ("request.scope._read()", "reads ._read"),
        ("super()._read()", "reads ._read"),
        ("getattr(request, '_body', None)", "getattr(..., '_body')"),
        ("hasattr(request, '_stream_consumed')", "hasattr(..., '_stream_consumed')"),
        ("setattr(request, '_body', b'')", "setattr(..., '_body')"),
        ("delattr(request, '_CACHE')", "delattr(..., '_CACHE')"),
        ("import starlette_core.requests\nstarlette_core.requests.Request._stream_consumed", "reads ._stream_consumed"),
    ],
)
def test_touching_another_distributions_private_attribute_is_a_hit(tmp_path: Path, source: str, what: str) -> None:
    hits = scan_files(tmp_path, {"starlette_middleware/base.py": source})
    assert len(hits) == 1 and hits[0].endswith(f": {what} (private to starlette_core)")


@pytest.mark.parametrize(
    "source",
    [
        "self._body",
        "cls._stream_consumed = True",
        "getattr(self, '_body')",
        "request._unknown",
        "getattr(request, name)",
        "getattr(request, '__class__')",
        "getattr(request)",
        "import sys\nsys._getframe()",
        "class Mine:\n    def __init__(self) -> None:\n        self._body = b''\n"
        "def f(o: Mine) -> bytes:\n    return o._body",
    ],
)
def test_own_unknown_and_self_attributes_are_not_hits(tmp_path: Path, source: str) -> None:
    assert scan_files(tmp_path, {"starlette_middleware/base.py": source}) == []


def test_what_counts_as_defining_a_private_name() -> None:
    source = """
        import os as _os
        _MODULE = 1
        _a, (_b, c) = 1, (2, 3)
        _ann: int
        if os.name:
            _IN_IF = 1
        try:
            pass
        except ImportError:
            _IN_HANDLER = 1

        def _function() -> None:
            _local = 1

        class Public:
            _class_body = 1
            __dunder__ = 1

            def _method(self) -> None:
                self._instance = 1
                cls._on_class = 1
                self._counter += 1
                other._not_ours = 1

        class _PrivateClass: ...
        """
    assert defined_private_names(ast.parse(textwrap.dedent(source))) == {
        "_MODULE",
        "_a",
        "_b",
        "_ann",
        "_IN_IF",
        "_IN_HANDLER",
        "_function",
        "_class_body",
        "_method",
        "_instance",
        "_on_class",
        "_counter",
        "_PrivateClass",
    }


def test_the_meta_package_may_re_export_modules_and_nothing_more(tmp_path: Path) -> None:
    re_export = "import sys\nimport starlette_core._utils\nsys.modules[__name__] = starlette_core._utils\n"
    assert scan_files(tmp_path / "allowed", {"starlette/_utils.py": re_export}) == []
    hidden = "import sys\nimport starlette_core._hidden\nsys.modules[__name__] = starlette_core._hidden\n"
    hits = scan_files(tmp_path / "hidden", {"starlette/_hidden.py": hidden})
    assert [hit.partition(": ")[0] for hit in hits] == [
        "packages/starlette/src/starlette/_hidden.py:2",
        "packages/starlette/src/starlette/_hidden.py:3",
    ]
    reader = "from starlette_core.requests import Request\ndef f(r: Request) -> bytes:\n    return r._body\n"
    hits = scan_files(tmp_path / "reader", {"starlette/requests.py": reader})
    assert len(hits) == 1 and hits[0].endswith(": reads ._body (private to starlette_core)")


def test_files_that_are_not_a_distribution_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "packages" / "starlette-core" / "src" / "starlette_core.egg-info").mkdir(parents=True)
    (tmp_path / "packages" / "starlette-core" / "src" / "starlette_core.egg-info" / "x.py").write_text("import _x\n")
    assert scan_files(tmp_path, {}) == []
