"""The package's layers, as docs/architecture.md draws them, held by the imports themselves.

Each layer imports only from itself and the layers below it; the query path (everything up to
the engine facade) never imports the offline tools; no two modules import each other, however
indirectly (a cycle is the first sign of a module with two jobs).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "autocomplete"
WEB = ROOT / "web"

LAYERS = (
    (
        "base",
        {
            "autocomplete.limits",
            "autocomplete.paths",
            "autocomplete.cache",
            "autocomplete._kernels",
        },
    ),
    ("text", {"autocomplete.text"}),
    ("catalog", {"autocomplete.catalog"}),
    ("index", {"autocomplete.index"}),
    ("spell", {"autocomplete.spell"}),
    ("rank", {"autocomplete.rank"}),
    ("feedback", {"autocomplete.feedback"}),
    ("live", {"autocomplete.live"}),
    ("engine", {"autocomplete.engine", "autocomplete"}),
    ("experiments", {"autocomplete.experiments"}),
    ("tools", {"autocomplete.tools"}),
    ("app", {"autocomplete.cli", "autocomplete.serve", "autocomplete.web"}),
)
"""Bottom to top. ``autocomplete`` itself (its ``__init__``) re-exports the public API, so it
sits with the facade: the tools and the app above may use it."""

QUERY_PATH_TOP = "engine"


def _module_name(path: Path) -> str:
    if path.is_relative_to(WEB):
        parts = ["autocomplete", "web", *path.relative_to(WEB).with_suffix("").parts]
    else:
        parts = ["autocomplete", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for root in (PACKAGE, WEB):
        for path in root.rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules ``name`` imports (at any depth in the file)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in known:
                found.add(target)
    found.discard(name)
    return found


def _layer(module: str) -> int:
    best = -1
    best_length = -1
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_length:
                best, best_length = number, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return best


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_every_layer_imports_only_itself_and_below() -> None:
    upward = []
    for module, imported in _graph().items():
        for target in imported:
            if _layer(target) > _layer(module):
                upward.append(
                    f"{module} ({LAYERS[_layer(module)][0]}) imports {target} "
                    f"({LAYERS[_layer(target)][0]})"
                )
    assert not upward, "\n".join(sorted(upward))


def test_the_query_path_never_imports_the_tools() -> None:
    top = [name for name, _ in LAYERS].index(QUERY_PATH_TOP)
    tools = [name for name, _ in LAYERS].index("tools")
    for module, imported in _graph().items():
        if _layer(module) <= top:
            assert not [target for target in imported if _layer(target) == tools], module


def test_no_import_cycles() -> None:
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a cycle of two jobs.
    edges = {
        module: {t for t in targets if not t.startswith(module + ".")}
        for module, targets in graph.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_install_lists_every_package() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {_module_name(path) for path in PACKAGE.rglob("__init__.py")} | {"autocomplete.web"}
    # The demo's templates and static files install as data folders of autocomplete.web.
    on_disk |= {"autocomplete.web.static", "autocomplete.web.templates"}
    assert listed == on_disk


def test_the_architecture_page_lists_every_module() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        str(path.relative_to(ROOT))
        for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.c"), *WEB.glob("*.py")]
        if path.name != "__init__.py" and f"`{path.relative_to(ROOT)}`" not in page
    ]
    assert not missing, f"docs/architecture.md's module table lacks {missing}"


def test_the_web_app_uses_the_facade_not_its_insides() -> None:
    # The engine's index, its private attributes and its error texts are not the app's to read:
    # it asks the facade (suggest, trending, learned, describe, metadata_columns) and reads the
    # field of a FilterError / ContextError.
    reaching = []
    for path in WEB.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                node.attr in {"index", "_index", "_feedback", "_speller"}
            ):
                reaching.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not reaching, reaching
