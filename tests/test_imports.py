"""The project's own imports: no cycle between modules, and no import of a project module hidden inside a
function unless it defers a heavy dependency and says which (`# deferred: <dependency> — <why>` on the import's
line or the line above).

A function-level import is how a cycle hides: the two modules still need each other, the cycle only waits for
the first call. The graph below is read from the source (the AST), so a cycle fails here before anything runs.
"""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "foundermode"
MARK = "# deferred:"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _absolute(name: str, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, made absolute against the importing module."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(name: str, node: ast.AST) -> list[str]:
    """The project modules one import statement loads (a name taken from a package that is itself a module
    counts as that module)."""
    out = []
    if isinstance(node, ast.Import):
        out = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        source = _absolute(name, node)
        for alias in node.names:
            sub = f"{source}.{alias.name}"
            out.append(sub if sub in MODULES else source)
    return [t for t in dict.fromkeys(out) if t in MODULES and t != name]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """(import node, inside a function?) for every import that runs, skipping `if TYPE_CHECKING:` blocks."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from walk(ast.Module(body=[other], type_ignores=[]), in_function)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))
    yield from walk(tree, False)


def _parsed():
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        yield name, path, text.splitlines(), ast.parse(text, filename=str(path))


def module_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, at the top or inside a function (a deferred import still ties
    the two modules; only `if TYPE_CHECKING:` imports, which never run, are left out)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, _path, _lines, tree in _parsed():
        for node, _in_function in _imports(tree):
            graph[name].update(_targets(name, node))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle through it."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_one_cycle(graph, set(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _one_cycle(graph, component):
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return sorted(component)


def undeclared_function_imports() -> list[str]:
    out = []
    for name, path, lines, tree in _parsed():
        for node, in_function in _imports(tree):
            if not in_function or not _names_project(name, node):
                continue
            here = lines[node.lineno - 1]
            above = lines[node.lineno - 2] if node.lineno > 1 else ""
            if MARK not in here and MARK not in above:
                out.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {here.strip()}")
    return out


def _names_project(name, node) -> bool:
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or (node.module or "").split(".")[0] == PACKAGE
    return any(alias.name.split(".")[0] == PACKAGE for alias in node.names)


def test_the_graph_is_read():
    graph = module_graph()
    assert "foundermode.cli" in graph and "foundermode.cli.common" in graph["foundermode.cli"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle_between_the_project_modules():
    found = cycles(module_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_function_level_import_of_a_project_module_says_what_it_defers():
    found = undeclared_function_imports()
    assert not found, (f"{len(found)} function-level imports of project modules without a '{MARK} <heavy "
                       "dependency>' comment (move them to the top, or say what they keep out of start-up):\n"
                       + "\n".join(found))
