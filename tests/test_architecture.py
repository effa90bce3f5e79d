"""The layout of ``lib`` is its design (ARCHITECTURE.md): five layers, each importing only from the
layers below it, every import at the top of its module, the engines private to their layer."""

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parent.parent / "lib"
LAYERS = ("core", "methods", "theory", "mnist", "book")
#: what each layer may import from lib (its own layer included)
ALLOWED = {
    "core": {"core"},
    "methods": {"core", "methods"},
    "theory": {"core", "methods", "theory"},
    "mnist": {"core", "mnist"},
    "book": set(LAYERS),
}
MODULES = sorted(p for p in LIB.rglob("*.py") if p.parts[-2] in LAYERS)


def _imports(tree: ast.Module):
    """(node, module name, at top level) of every import of lib in the module."""
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                yield node, "." * node.level + (node.module or ""), id(node) in top
            elif (node.module or "").split(".")[0] == "lib":
                yield node, node.module, id(node) in top
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "lib":
                    yield node, a.name, id(node) in top


def test_every_module_is_in_a_layer():
    flat = sorted(p.name for p in LIB.glob("*.py") if p.name != "__init__.py")
    assert flat == [], f"modules outside the layers: {flat}"
    assert {p.parts[-2] for p in MODULES} == set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parts[-2]}/{p.stem}")
def test_imports_go_only_downward_and_sit_at_the_top(path):
    layer = path.parts[-2]
    for node, name, at_top in _imports(ast.parse(path.read_text())):
        where = f"{path.relative_to(LIB.parent)}:{node.lineno}"
        assert not name.startswith("."), f"{where}: relative import {name}; write lib.<layer>..."
        assert at_top, f"{where}: import of {name} inside a function; move it to the top"
        parts = name.split(".")
        if len(parts) == 1:  # `import lib` / `from lib import <layer>`
            targets = {a.name for a in node.names} if isinstance(node, ast.ImportFrom) else set()
        else:
            targets = {parts[1]}
        for t in targets:
            assert t in ALLOWED[layer], f"{where}: {layer} may not import lib.{t}"
        if len(parts) > 2 and parts[2].startswith("_"):
            assert parts[1] == layer, f"{where}: {name} is private to lib.{parts[1]}"
