"""The project as pip builds it: the wheel carries the compiled extensions, quietly."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _source_tree(target: Path) -> Path:
    """A copy of what a build reads, so that the build leaves the checkout untouched."""
    target.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    skip = shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info")
    shutil.copytree(ROOT / "web", target / "web", ignore=skip)
    shutil.copytree(ROOT / "src" / "autocomplete", target / "src" / "autocomplete", ignore=skip)
    return target


@pytest.mark.slow
def test_a_wheel_builds_the_extensions_without_setuptools_warnings(tmp_path: Path) -> None:
    # Before: setuptools warned three times per install that pyproject's ext-modules table is
    # "experimental"; the extensions are now declared in setup.py.
    tree = _source_tree(tmp_path / "tree")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "wheel"), "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "experimental" not in output.lower()
    assert "BuildBackendWarning" not in output and "SetuptoolsDeprecationWarning" not in output
    (wheel,) = (tmp_path / "wheel").glob("autocomplete-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("_align", "_nearby"):
        assert any(
            name.startswith(f"autocomplete/{module}.") and name.endswith(".so") for name in names
        )
    assert {"autocomplete/py.typed", "web/templates/index.html"} <= set(names)
