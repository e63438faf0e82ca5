"""``starlette.authentication`` is the module :mod:`starlette_auth.authentication` itself."""

from typing import TYPE_CHECKING

import starlette_auth.authentication
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_auth.authentication import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_auth.authentication)
