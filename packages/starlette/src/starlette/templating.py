"""``starlette.templating`` is the module :mod:`starlette_routing.templating` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.templating

if TYPE_CHECKING:
    from starlette_routing.templating import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.templating
