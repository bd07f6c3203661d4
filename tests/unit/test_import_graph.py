"""The import graph of `server/`: packages form layers, never a cycle.

Each package under `server/` (and each top-level module: `db`, `worker`, `app`...) is a node;
an import anywhere in one of its files, at the top or inside a function, is an edge. A cycle
means no package can be read, tested or replaced without the others; the order today, bottom
to top, is in docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> Iterable[str]:
    """The dotted names a file imports, relative imports resolved."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(parts[: len(parts) - node.level])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from server import db` imports the module server.db
            yield from (f"{module}.{alias.name}" for alias in node.names)
            yield module


def graph(top: str = "server") -> dict[str, set[str]]:
    """node -> the nodes it imports, a node being a package or module directly under `top`."""
    edges: dict[str, set[str]] = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        node = path.relative_to(ROOT / top).parts[0].removesuffix(".py")
        if node == "__init__":
            continue
        targets = edges.setdefault(node, set())
        for name in _imported(path):
            pieces = name.split(".")
            if pieces[0] != top or len(pieces) < 2 or pieces[1] == node:
                continue
            if (ROOT / top / pieces[1]).is_dir() or (ROOT / top / f"{pieces[1]}.py").exists():
                targets.add(pieces[1])
    return edges


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_server_packages_import_each_other_without_a_cycle() -> None:
    edges = graph()
    assert {"auth", "directory", "hazards", "web", "shell", "syncing"} <= edges.keys()
    found = cycles(edges)
    explain = [
        f"{' / '.join(c)}: " + "; ".join(f"{a}->{b}" for a in c for b in sorted(edges[a]) if b in c)
        for c in found
    ]
    assert not found, "import cycles between server packages:\n" + "\n".join(explain)


def test_web_is_a_leaf_and_sync_knows_no_domain() -> None:
    edges = graph()
    packages = {name for name in edges if (ROOT / "server" / name).is_dir()}
    assert not edges["web"] & packages, "server/web/ (render, forms) must import no package"
    assert edges["shell"] & {"hazards", "callups"}, "the shell reads the domains, not web"
    assert graph("sync")  # the walk saw sync's modules
    for path in (ROOT / "sync").rglob("*.py"):
        assert not [n for n in _imported(path) if n.split(".")[0] == "server"], path


def test_a_domain_reads_another_domains_tables_through_its_service() -> None:
    """Only a package's own modules import its tables; another package's `tables.py` may
    for a foreign key, and the table registry (`piccolo_app`) for migrations."""
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        mine = path.relative_to(ROOT / "server").parts[0].removesuffix(".py")
        if path.name == "tables.py" or mine == "piccolo_app":
            continue
        for name in _imported(path):
            pieces = name.split(".")
            if pieces[0] == "server" and pieces[2:3] == ["tables"] and pieces[1] != mine:
                found.append(f"{path.relative_to(ROOT)} reads {'.'.join(pieces[:3])}")
    assert not found, "\n".join(sorted(set(found)))
