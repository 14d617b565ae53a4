"""The services import one way: no import cycles, no imports hidden inside functions
(the old rounds ⇄ delphi_report ⇄ studies cycle was dodged that way), no file over ~400 lines."""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "webapp" / "services"


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """(services imported at module level, imports of webapp/delphi written inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(fn)}
    top, nested = set(), []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [f"{node.module}.{a.name}" for a in node.names] + [node.module or ""])
        if id(node) in inside:
            if any(n.startswith("webapp") or n.startswith("delphi") for n in names):
                nested.append(f"{path.name}:{node.lineno}")
            continue
        top |= {n.split(".")[2] for n in names if n.startswith("webapp.services.") and len(n.split(".")) > 2}
    return top & {p.stem for p in SERVICES.glob("*.py")}, nested


def test_services_import_one_way_at_the_top_of_the_file():
    graph, hidden = {}, []
    for path in SERVICES.glob("*.py"):
        graph[path.stem], nested = _imports(path)
        hidden += nested
    assert hidden == [], "imports inside functions: " + ", ".join(hidden)
    state: dict[str, int] = {}

    def visit(name, trail):
        if state.get(name) == 1:
            raise AssertionError("import cycle: " + " → ".join(trail + [name]))
        if state.get(name) == 2:
            return
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            visit(dep, trail + [name])
        state[name] = 2

    for name in sorted(graph):
        visit(name, [])


def test_rounds_layer_files_stay_small():
    layer = ["tree", "round_lifecycle", "round_settings", "answers", "round_scope", "between_rounds",
             "round_data", "delphi_items", "feedback", "dashboard"]
    sizes = {name: len((SERVICES / f"{name}.py").read_text(encoding="utf-8").splitlines()) for name in layer}
    assert all(n <= 400 for n in sizes.values()), sizes
    assert not (SERVICES / "rounds.py").exists() and not (SERVICES / "delphi_report.py").exists()


def test_services_are_given_the_acting_user_and_base_url_not_reaching_for_them():
    """Issue 9: services take who acts and the links' base URL from the web layer; none imports
    Flask-Login (``current_user``) or builds URLs with ``url_for``."""
    offending = []
    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module or ""]
            elif isinstance(node, (ast.Name, ast.Attribute)):
                names = [node.id if isinstance(node, ast.Name) else node.attr]
            else:
                continue
            if any(n.split(".")[0] == "flask_login" or n.endswith("current_user") or n.endswith("url_for")
                   for n in names):
                offending.append(f"{path.name}:{node.lineno}")
    assert offending == [], "services reaching for the request: " + ", ".join(sorted(set(offending)))
