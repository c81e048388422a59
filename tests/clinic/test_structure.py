"""The shape of the code (structure v2): no import cycle between project files (imports inside functions count),
no module over 500 lines (migrations aside), no app over 40% of the app code, and the layers contract of
pyproject.toml kept (lint-imports).

The import graph is grimp's, the library import-linter itself uses: it sees every import statement, at the top of
a module or inside a function.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 500
MAX_APP_SHARE = 0.40


def _apps() -> list[str]:
    """The project's apps: the root packages of the layers contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["root_packages"])


def _app_files(app: str) -> list[Path]:
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts]


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*_apps(), include_external_packages=False, cache_dir=None)


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    modules = sorted(graph.modules)
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def test_no_import_cycle_between_project_files(graph):
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_an_import_inside_a_function():
    """A guard on the test above: a cycle closed by an import inside a function is found."""
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=1, line_contents="from pkg import b")
    graph.add_import(importer="pkg.b", imported="pkg.a", line_number=9, line_contents="    from pkg import a")
    assert _cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle_between_apps(graph):
    apps = _apps()
    # lint-imports forbids the upward half of any cycle; this names the pairs plainly when it fails.
    pairs = sorted(
        (upper, lower)
        for upper in apps
        for lower in apps
        if upper < lower
        and graph.chain_exists(importer=upper, imported=lower, as_packages=True)
        and graph.chain_exists(importer=lower, imported=upper, as_packages=True)
    )
    assert pairs == []


def test_no_module_over_500_lines():
    too_long = {
        str(path.relative_to(ROOT)): _lines(path)
        for app in _apps()
        for path in _app_files(app)
        if _lines(path) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_no_app_over_40_percent_of_the_app_code():
    lines = {app: sum(_lines(path) for path in _app_files(app)) for app in _apps()}
    total = sum(lines.values())
    over = {app: f"{count / total:.0%}" for app, count in lines.items() if count > MAX_APP_SHARE * total}
    assert over == {}


def test_the_layers_contract_is_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
