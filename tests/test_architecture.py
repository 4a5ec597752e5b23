"""The layers of docs/architecture.md, checked over the code's own imports (every ``import``, also
the ones inside functions): no module imports a higher layer or a sibling package of its layer, and
no two modules import each other, directly or round a circle."""
import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]

# low → high; a package may import its own modules, the basics, and the packages of lower layers
LAYERS = [
    {"harvester", "settings", "procinfo", "progress", "agencies", "divisions", "csvsafe", "archive"},
    {"extract", "evidence"},
    {"report"},
    {"sandbox"},
    {"db"},
    {"crawl", "discovery", "devportal"},
    {"spiders", "pipelines", "research"},
    {"cli"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _modules():
    mods = {}
    for top in ("harvester", "spiders", "pipelines"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def import_graph():
    """module → the project modules it imports (a package's own ``__init__`` is containment, not an edge)."""
    mods = _modules()

    def resolve(name):
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges = defaultdict(set)
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
                if not all(name in mods for name in names):
                    names.append(base)
            else:
                continue
            for name in names:
                target = resolve(name)
                if target and target != mod and not mod.startswith(target + "."):
                    edges[mod].add(target)
    return mods, edges


def unit(mod):
    """The layer unit of a module: its top package, or for ``harvester.x`` the subpackage or basic module x."""
    parts = mod.split(".")
    if parts[0] != "harvester":
        return parts[0]
    return parts[1] if len(parts) > 1 else "harvester"


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for start in list(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_unit_has_a_layer():
    mods, _ = import_graph()
    assert sorted({unit(m) for m in mods} - set(LAYER)) == []


def test_no_import_reaches_up_or_sideways():
    _, edges = import_graph()
    wrong = []
    for mod, targets in edges.items():
        for target in targets:
            a, b = unit(mod), unit(target)
            if a == b or (LAYER[a] == 0 and LAYER[b] == 0):
                continue
            if LAYER[b] >= LAYER[a]:
                wrong.append(f"{mod} (layer {LAYER[a]}) imports {target} (layer {LAYER[b]})")
    assert wrong == []


def test_no_import_circle():
    _, edges = import_graph()
    assert cycles(edges) == []


def test_the_checker_sees_a_circle_and_an_upward_import():
    """The checks above could pass by seeing nothing: the graph holds edges we know, and a circle is found."""
    _, edges = import_graph()
    assert "harvester.db.store" in edges["harvester.crawl.run"] or any(
        unit(t) == "db" for t in edges["harvester.crawl.run"])
    assert any(unit(t) == "crawl" for t in edges["spiders.reports"])
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
