"""The whole documented starlette 0.47.3 surface, checked against the manifest kept in tests/api/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

API = Path(__file__).parent.parent / "api"


def test_every_manifest_name_matches() -> None:
    result = subprocess.run(
        # The 0.47.3 manifest alone: the 1.10 additions beside it are not all built yet.
        [
            sys.executable,
            str(API / "check_surface.py"),
            "--manifest",
            str(API / "starlette-0.47.3.json"),
            "--no-additions",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "surface: 235/235 names match"
