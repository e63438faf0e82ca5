"""``starlette.middleware``: the ``Middleware`` spec from :mod:`starlette_middleware`.

This one stays a real package (not an alias of ``starlette_middleware``) because its submodules come from two
distributions: ``starlette.middleware.authentication`` lives in starlette-auth.
"""

from starlette_middleware import Middleware as Middleware

__all__ = ["Middleware"]
