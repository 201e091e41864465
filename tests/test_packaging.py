"""The project as pip builds it: quietly, with the compiled extensions, or without a compiler."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autocomplete._kernels import KERNELS_VARIABLE
from kernel_answers import engine_answers

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
def _build_wheel(tmp_path: Path, environment: dict[str, str]) -> tuple[Path, str]:
    """The wheel pip builds from a copy of the checkout, and what pip printed."""
    tree = _source_tree(tmp_path / "tree")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "wheel"), "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **environment},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    (wheel,) = (tmp_path / "wheel").glob("autocomplete-*.whl")
    return wheel, output


@pytest.mark.slow
def test_a_wheel_builds_the_extensions_without_setuptools_warnings(tmp_path: Path) -> None:
    # Before: setuptools warned three times per install that pyproject's ext-modules table is
    # "experimental"; the extensions are now declared in setup.py.
    wheel, output = _build_wheel(tmp_path, {})
    assert "experimental" not in output.lower()
    assert "BuildBackendWarning" not in output and "SetuptoolsDeprecationWarning" not in output
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("spell/_align", "index/_nearby", "index/_words", "rank/_alignwords"):
        assert any(
            name.startswith(f"autocomplete/{module}.") and name.endswith(".so") for name in names
        )
    stubs = {f"autocomplete/{module}.pyi" for module in ("index/_words", "rank/_alignwords")}
    assert {"autocomplete/py.typed", "autocomplete/web/templates/index.html"} | stubs <= set(names)
    assert not any(name.startswith("web/") for name in names)  # nothing installs as `web`


@pytest.mark.slow
def test_without_a_c_compiler_the_install_succeeds_and_answers_the_same(tmp_path: Path) -> None:
    # `CC=false pip install .` in a fresh venv: every compile fails, as on a machine without a
    # compiler. The extensions are optional, so the install succeeds with the plain-Python twins
    # (about a minute here, most of it pip fetching the dependencies).
    tree = _source_tree(tmp_path / "tree")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CC": "false"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    site = subprocess.run(
        [
            python,
            "-c",
            "import autocomplete, pathlib; print(pathlib.Path(autocomplete.__file__).parent)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    package = Path(site.stdout.strip())
    assert package.is_relative_to(venv) and not list(package.glob("*.so"))

    compiled, quiet = engine_answers({KERNELS_VARIABLE: ""})
    twins, said = engine_answers({KERNELS_VARIABLE: ""}, python=python)
    assert twins == compiled
    # Said once, through logging, naming every kernel; the compiled build says nothing.
    assert said.count("compiled kernels are missing") == 1, said
    assert "No module named 'autocomplete.spell._align'" in said
    assert "No module named 'autocomplete.index._nearby'" in said
    assert "No module named 'autocomplete.index._words'" in said
    assert "No module named 'autocomplete.rank._alignwords'" in said
    assert "compiled kernels" not in quiet
