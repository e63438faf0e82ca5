"""``starlette.testclient`` is the module :mod:`starlette_testing.testclient` itself."""

from typing import TYPE_CHECKING

import starlette_testing.testclient
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_testing.testclient import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_testing.testclient)
