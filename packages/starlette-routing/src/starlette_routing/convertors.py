"""Path parameter convertors: ``{name:type}`` segments of route paths (``starlette.convertors``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from starlette_core._utils import LazyImports

# Upstream's name for what this module imports on first use (see LazyImports): uuid pulls in platform, and only
# uuid routes need it.
_lazy = LazyImports(globals(), {"uuid": "uuid"})
if TYPE_CHECKING:
    import uuid
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir

T = TypeVar("T")


class Convertor(Generic[T]):
    """Turns a matched path segment into a Python value and back."""

    regex: ClassVar[str] = ""

    def convert(self, value: str) -> T:
        raise NotImplementedError()

    def to_string(self, value: T) -> str:
        raise NotImplementedError()


class StringConvertor(Convertor[str]):
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        text = str(value)
        assert "/" not in text, "May not contain path separators"
        assert text, "Must not be empty"
        return text


class PathConvertor(Convertor[str]):
    regex = ".*"

    def convert(self, value: str) -> str:
        return str(value)

    def to_string(self, value: str) -> str:
        return str(value)


class IntegerConvertor(Convertor[int]):
    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        number = int(value)
        assert number >= 0, "Negative integers are not supported"
        return str(number)


class FloatConvertor(Convertor[float]):
    regex = r"[0-9]+(\.[0-9]+)?"

    def convert(self, value: str) -> float:
        number = float(value)
        if math.isinf(number):
            # More digits than a float holds: no value (url_for could not even write it back). The router takes a
            # ValueError as "no match", so the client gets a 404, as for an int too long to convert.
            raise ValueError(f"{value[:20]}... is too large for a float")
        return number

    def to_string(self, value: float) -> str:
        number = float(value)
        assert not math.isnan(number), "NaN values are not supported"
        assert number >= 0.0, "Negative floats are not supported"
        assert not math.isinf(number), "Infinite values are not supported"
        return f"{number:0.20f}".rstrip("0").rstrip(".")


class UUIDConvertor(Convertor["uuid.UUID"]):
    # 32 hex digits in either case, each of the four hyphens optional (so the bare ``uuid.hex`` form matches too).
    regex = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    def convert(self, value: str) -> uuid.UUID:
        _lazy.load("uuid")
        return uuid.UUID(value)

    def to_string(self, value: uuid.UUID) -> str:
        return str(value)


CONVERTOR_TYPES: dict[str, Convertor[Any]] = {
    "str": StringConvertor(),
    "path": PathConvertor(),
    "int": IntegerConvertor(),
    "float": FloatConvertor(),
    "uuid": UUIDConvertor(),
}


def register_url_convertor(key: str, convertor: Convertor[Any]) -> None:
    """Make ``{name:key}`` available in route paths compiled from now on."""
    CONVERTOR_TYPES[key] = convertor
