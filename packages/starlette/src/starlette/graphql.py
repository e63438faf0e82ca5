"""``starlette.graphql``: the very module object :mod:`starlette_routing.graphql`, under its public name."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.graphql

if TYPE_CHECKING:
    from starlette_routing.graphql import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.graphql
