"""Import contracts and size limits of lopdesk/, checked on the source with ast.

Layers, upper to lower (a module imports only its own layer or lower ones):
    app, cli → screens, commands, demo → parse, present → domain → db, config, labels, errors
The numpy engine (lopdesk.matching) imports only itself and lopdesk.errors; the domain and
the layers above may use it. Among lopdesk modules there are no import cycles at module
level (imports inside functions are lazy loads: they count for the layer direction only).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lopdesk"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# The three domain modules being split into packages (registers/, mediation/, extracts/);
# remove each path from this list once its split is merged.
OVERSIZE_ALLOWED: frozenset[str] = frozenset()

TOP, FRONT, SHARED, DOMAIN, BASE = 4, 3, 2, 1, 0
LAYER_OF_PREFIX = [  # first match wins
    ("lopdesk.app", TOP),
    ("lopdesk.cli", TOP),
    ("lopdesk.screens", FRONT),
    ("lopdesk.commands", FRONT),
    ("lopdesk.demo", FRONT),
    ("lopdesk.demo_data", FRONT),
    ("lopdesk.demo_registers", FRONT),
    ("lopdesk.demo_states", FRONT),
    ("lopdesk.files", BASE),
    ("lopdesk.parse", SHARED),
    ("lopdesk.present", SHARED),
    ("lopdesk.domain", DOMAIN),
    ("lopdesk.matching", DOMAIN),  # checked by its own contract below
    ("lopdesk.db", BASE),
    ("lopdesk.plainsql", BASE),
    ("lopdesk.write_lock", BASE),
    ("lopdesk.pg_write", BASE),
    ("lopdesk.config", BASE),
    ("lopdesk.clock", BASE),
    ("lopdesk.migrate", BASE),
    ("lopdesk.labels", BASE),
    ("lopdesk.errors", BASE),
    ("lopdesk", BASE),  # the package itself: the version only
]
# Siblings of one layer that may not import each other.
APART = [("lopdesk.screens", "lopdesk.commands")]


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    module_level: bool
    typing_only: bool = False


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
            if "migrations" not in p.relative_to(PACKAGE).parts}


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(source: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = source.split(".")
    is_pkg = MODULES[source].name == "__init__.py"
    base = package if is_pkg else package[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports_of(name: str) -> list[Import]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                # Annotations only (e.g. a screen's `app: LopdeskApp`): never executed, so
                # neither a cycle nor a dependency at run time.
                for sub in child.body:
                    visit_one(sub, False, typing_only=True)
                continue
            visit_one(child, module_level)

    def visit_one(child: ast.AST, module_level: bool, typing_only: bool = False) -> None:
        if isinstance(child, ast.Import):
            found.extend(Import(name, a.name, child.lineno, module_level, typing_only)
                         for a in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = _resolve(name, child)
            for a in child.names:
                sub = f"{base}.{a.name}"
                found.append(Import(name, sub if sub in MODULES else base, child.lineno,
                                    module_level, typing_only))
        else:
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, module_level and not inner)

    visit(tree, True)
    return [i for i in found if i.target == "lopdesk" or i.target.startswith("lopdesk.")]


IMPORTS = {name: _imports_of(name) for name in MODULES}


def _layer(module: str) -> int:
    for prefix, layer in LAYER_OF_PREFIX:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} has no layer in test_architecture.LAYER_OF_PREFIX")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        _layer(name)


def test_layers_import_downwards_only() -> None:
    wrong = [f"{i.source}:{i.line} imports {i.target}"
             for imps in IMPORTS.values() for i in imps
             if not i.typing_only and not _within(i.target, "lopdesk.matching")
             and _layer(i.target) > _layer(i.source)]
    assert not wrong, "a lower layer imports an upper one:\n" + "\n".join(wrong)


def test_screens_and_commands_stay_apart() -> None:
    wrong = [f"{i.source}:{i.line} imports {i.target}"
             for a, b in APART for imps in IMPORTS.values() for i in imps
             if (_within(i.source, a) and _within(i.target, b))
             or (_within(i.source, b) and _within(i.target, a))]
    assert not wrong, "\n".join(wrong)


def test_matching_imports_only_itself_and_errors() -> None:
    wrong = [f"{i.source}:{i.line} imports {i.target}"
             for name, imps in IMPORTS.items() if _within(name, "lopdesk.matching")
             for i in imps
             if not (_within(i.target, "lopdesk.matching") or i.target == "lopdesk.errors")]
    assert not wrong, "the numpy engine must not import the rest of lopdesk:\n" + "\n".join(wrong)


def test_the_domain_reaches_the_engine_only_through_its_public_modules() -> None:
    # Nothing below the domain uses the engine (it needs numpy, loaded lazily).
    wrong = [f"{i.source}:{i.line} imports {i.target}"
             for imps in IMPORTS.values() for i in imps
             if _within(i.target, "lopdesk.matching") and _layer(i.source) < DOMAIN]
    assert not wrong, "\n".join(wrong)


def _cycles() -> list[list[str]]:
    graph = {name: sorted({i.target for i in imps if i.module_level and i.target != name})
             for name, imps in IMPORTS.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, []):
            if w not in index:
                strongconnect(w)
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
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            strongconnect(v)
    return found


def test_no_import_cycles_at_module_level() -> None:
    assert _cycles() == []


# --- size ---------------------------------------------------------------------------------


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", sorted(OVERSIZE_ALLOWED))
def test_oversize_allowance_is_still_needed(path: str) -> None:
    file = ROOT / path
    assert file.exists(), f"{path} is split: remove it from OVERSIZE_ALLOWED"


def test_modules_at_most_500_lines() -> None:
    big = [f"{_relative(p)}: {n} lines" for p in MODULES.values()
           if _relative(p) not in OVERSIZE_ALLOWED
           and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not big, "\n".join(big)


def test_functions_at_most_80_lines() -> None:
    long = []
    for p in MODULES.values():
        if _relative(p) in OVERSIZE_ALLOWED:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{_relative(p)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)
