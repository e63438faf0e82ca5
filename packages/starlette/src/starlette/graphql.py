"""``starlette.graphql``: the very module object :mod:`starlette_routing.graphql`, under its public name."""

from typing import TYPE_CHECKING

import starlette_routing.graphql
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_routing.graphql import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_routing.graphql)
