"""The import graph between the apps, read from the source: who imports whom.

Every `import` and `from ... import` in the apps' modules counts, wherever it stands (inside
a function or under TYPE_CHECKING too), relative imports resolved. Migrations and tests do
not count, nor do string references ("leads.Lead", apps.get_model, include("leads.urls")):
they name a model or module without importing its code. Nothing is imported or run, so the
script needs no database and no settings.

    python bench/imports.py            # the graph, and whether it keeps the allowed directions
    python bench/imports.py --detail   # and every import behind each edge, file and line

STYLE.md's directions: crm <- leads <- scoring, assignment <- conversion. crm imports no app;
leads imports crm; scoring and assignment import crm and leads, not each other; conversion
imports crm and leads. The exit status is 1 when an import goes another way.
"""

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("crm", "leads", "scoring", "assignment", "conversion")
ALLOWED: dict[str, frozenset[str]] = {
    "crm": frozenset(),
    "leads": frozenset({"crm"}),
    "scoring": frozenset({"crm", "leads"}),
    "assignment": frozenset({"crm", "leads"}),
    # Conversion sits on top: it may use every app below it (the demo seeder does).
    "conversion": frozenset({"crm", "leads", "scoring", "assignment"}),
}
SKIPPED_DIRS = {"migrations", "tests", "__pycache__"}
# Files allowed to import against the directions, each with the reason (none today).
EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    source: str  # the importing app
    target: str  # the imported app
    path: str  # the importing file, relative to the project
    line: int
    module: str  # the module imported, as written after resolving a relative import


def app_modules(root: Path = ROOT) -> list[tuple[str, Path]]:
    """(app, file) of every Python file of the apps, migrations and tests left out."""
    files = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
                files.append((app, path))
    return files


def _package(path: Path, root: Path) -> list[str]:
    """The package a file's relative imports start from: its folder, as dotted parts."""
    return list(path.relative_to(root).parent.parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """(module, line) of each import statement of one file, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package(path, root)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, node.lineno))
    return found


def app_imports(root: Path = ROOT) -> list[Import]:
    """Every import from one app into another."""
    edges = []
    for app, path in app_modules(root):
        for module, line in imported_modules(path, root):
            target = module.split(".")[0]
            if target in APPS and target != app:
                rel = str(path.relative_to(root))
                edges.append(Import(app, target, rel, line, module))
    return edges


def app_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for edge in imports:
        graph[edge.source].add(edge.target)
    return graph


def violations(imports: list[Import]) -> list[Import]:
    """The imports that go against the allowed directions, exceptions included."""
    return [edge for edge in imports if edge.target not in ALLOWED[edge.source]]


def app_graph_checked(imports: list[Import]) -> dict[str, set[str]]:
    """The graph without the imports of the files listed in EXCEPTIONS."""
    return app_graph([edge for edge in imports if edge.path not in EXCEPTIONS])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--detail", action="store_true", help="list every import behind an edge")
    args = parser.parse_args()

    imports = app_imports()
    graph = app_graph_checked(imports)
    width = max(map(len, APPS))
    print("Imports between apps (an arrow points at what is imported):")
    for app in APPS:
        targets = ", ".join(t for t in APPS if t in graph[app]) or "(no app)"
        print(f"  {app:<{width}} -> {targets}")
        if args.detail:
            for edge in sorted(imports, key=lambda e: (e.target, e.path, e.line)):
                if edge.source == app and edge.path not in EXCEPTIONS:
                    print(f"  {'':<{width}}      {edge.path}:{edge.line}  {edge.module}")
    wrong = violations(imports)
    excused = [edge for edge in wrong if edge.path in EXCEPTIONS]
    if excused:
        print("\nAgainst the directions, by a listed exception (EXCEPTIONS):")
        for edge in excused:
            print(f"  {edge.path}:{edge.line}: {edge.source} imports {edge.module}")
            print(f"  {'':<{width}}  ({EXCEPTIONS[edge.path]})")
    wrong = [edge for edge in wrong if edge.path not in EXCEPTIONS]
    if wrong:
        print("\nAgainst the allowed directions (STYLE.md):")
        for edge in wrong:
            print(f"  {edge.path}:{edge.line}: {edge.source} imports {edge.module}")
        return 1
    print(
        "\nEvery other import keeps the allowed directions: "
        "crm <- leads <- scoring, assignment <- conversion."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
