"""The package's modules import each other in one direction only.

Every ``import`` and ``from ... import`` in every file under ``mixscope/`` counts,
module level and inside functions alike: an import moved into a function to
dodge a cycle is still the cycle. Imports under ``if TYPE_CHECKING:`` do not
run and do not count; nor do the lazy public-API maps in ``__init__`` (strings,
not import statements).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import mixscope

PACKAGE = Path(mixscope.__file__).parent


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under ``package`` (a package is its ``__init__``)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, skipping the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _import_nodes(child)


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules`` (``a.b.func`` → ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported(module: str, node: ast.Import | ast.ImportFrom, modules: Mapping[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        source = node.module or ""
        if node.level:
            is_package = modules[module].name == "__init__.py"
            parts = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(parts[: len(parts) - node.level + 1])
            source = f"{base}.{source}" if node.module else base
        # `from a import b` imports the submodule a.b when there is one, else names in a.
        names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                 for alias in node.names]
    return {target for name in names if (target := _resolve(name, modules)) is not None}


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports anywhere in its file."""
    modules = module_files(package)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in _import_nodes(tree):
            targets |= _imported(module, node, modules)
        graph[module] = targets - {module}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: Mapping[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{sorted(group)} is not strongly connected")


def test_no_import_cycle_among_the_package_modules() -> None:
    found = cycles(import_graph(PACKAGE))
    assert not found, "import cycles (each module imports the next):\n" + "\n".join(
        " -> ".join(cycle) for cycle in found
    )


def test_the_walk_sees_function_level_imports_and_skips_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('_PUBLIC = {"thing": "pkg.b"}\n')
    (package / "a.py").write_text("from pkg.sub import c\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    (package / "sub" / "__init__.py").write_text("from pkg.sub.c import value\n")
    (package / "sub" / "c.py").write_text("value = 1\ndef late():\n    from pkg.a import x\n")
    graph = import_graph(package)
    assert graph["pkg.b"] == set()
    assert graph["pkg.sub"] == {"pkg.sub.c"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.c", "pkg.a"]]
    (package / "sub" / "c.py").write_text("value = 1\n")
    assert cycles(import_graph(package)) == []


def test_a_submodule_importing_its_parent_package_is_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.a import thing\n")
    (package / "a.py").write_text("thing = 1\ndef late():\n    from . import other\n")
    assert cycles(import_graph(package)) == [["pkg", "pkg.a", "pkg"]]
