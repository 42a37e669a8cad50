"""The package's shape: layers import only downward, no module imports in a circle.

Every `import` statement counts, also those inside functions: a lazy import may keep torch
out of `emohelpers --help`, never hide a cycle or an upward dependency, and it says why in a
comment (on its own lines, or on the line above it or above its group of imports).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "emohelpers"
#: The folders `make lint` checks and formats.
LINTED = ("emohelpers", "tests", "benchmarks", "tools")
#: A comment that keeps the formatter off a line or a block.
FORMATTER_OFF = re.compile(r"#\s*fmt:\s*(skip|off)\b")


def formatter_markers(source: str) -> int:
    """How many comments of `source` turn the formatter off (strings do not count)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return sum(t.type == tokenize.COMMENT and bool(FORMATTER_OFF.match(t.string)) for t in tokens)


def comment_lines(source: str) -> set[int]:
    """The line numbers of `source` that carry a comment (strings do not count)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0] for t in tokens if t.type == tokenize.COMMENT}


def uncommented_lazy_imports(source: str) -> list[int]:
    """Lines of the imports inside functions of `source` that say nowhere why they are lazy.

    An import is explained by a comment on one of its lines, or on the line just above it,
    or on the line just above the first of the consecutive imports it stands among.
    """
    comments = comment_lines(source)
    found: list[int] = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if not isinstance(block, list):
                    continue
                group_commented = False
                previous_was_import = False
                for stmt in block:
                    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        previous_was_import = False
                        continue
                    if not previous_was_import:
                        group_commented = stmt.lineno - 1 in comments
                    own = any(n in comments for n in range(stmt.lineno, stmt.end_lineno + 1))
                    if not (own or group_commented or stmt.lineno - 1 in comments):
                        found.append(stmt.lineno)
                    previous_was_import = True
    return sorted(set(found))


#: Bottom to top. A module may import its own layer and the layers before it.
LAYERS = (
    "core",
    "analysis",
    "summaries",
    "figures",
    "explain",
    "report",
    "corpus",
    "exports",
    "lab",
    "cli",
)
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The emohelpers modules `path` imports (absolute names; relative ones resolved)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # `from emohelpers.x import y` may name a module y
            found |= {f"{base}.{a.name}" for a in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules and m != me}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_sits_in_a_layer():
    loose = sorted(
        m
        for m in GRAPH
        if layer_of(m) is None and m.count(".") > 0 and m not in ("emohelpers.__main__",)
    )
    assert loose == [], f"modules outside the layer folders {LAYERS}: {loose}"


def test_layers_import_only_downward():
    upward = []
    for module, deps in GRAPH.items():
        mine = layer_of(module)
        for dep in deps:
            theirs = layer_of(dep)
            if mine is not None and (theirs is None or theirs > mine):
                upward.append(f"{module} -> {dep}")
    assert upward == [], "upward imports:\n" + "\n".join(sorted(upward))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    # A package's __init__ importing its own modules is not a cycle of logic: leave the
    # edges module -> its parent package out.
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in GRAPH.items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_cycle_finder(graph, expected):
    assert _cycles(graph) == expected


def test_the_checker_sees_imports_inside_functions(tmp_path):
    assert "emohelpers.analysis.pipeline" in GRAPH["emohelpers.cli.analyze_cmd"]


def test_modules_stay_small():
    long = {
        module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_the_formatter_formats_every_line():
    """No `# fmt: skip` or `# fmt: off`: the size cap is met by splitting modules, and
    `make lint` refuses the markers as this test does."""
    counts = {
        str(p.relative_to(ROOT)): n
        for folder in LINTED
        for p in sorted((ROOT / folder).rglob("*.py"))
        if (n := formatter_markers(p.read_text()))
    }
    assert counts == {}, f"{sum(counts.values())} formatter markers: {counts}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1  # fmt: skip\n", 1),
        ("x = [1,  2]  #fmt:skip\ny = 2  # fmt: skip\n", 2),
        ("# fmt: off\nx = [1,  2]\n# fmt: on\n", 1),
        ("x = 1  # formatted\n", 0),
        ('x = "# fmt: skip"\n', 0),
        ('"""# fmt: off"""\n', 0),
    ],
)
def test_formatter_markers_are_comments_only(source, expected):
    assert formatter_markers(source) == expected


def test_every_lazy_import_says_why():
    missing = {
        module_name(p): lines
        for p in sorted(PACKAGE.rglob("*.py"))
        if (lines := uncommented_lazy_imports(p.read_text()))
    }
    assert missing == {}, f"imports inside functions without a comment saying why: {missing}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os\n", []),
        ("def f():\n    import torch\n", [2]),
        ("def f():\n    import torch  # heavy\n", []),
        ("def f():\n    # heavy\n    import torch\n", []),
        ("def f():\n    # heavy\n    import torch\n\n    from a import b\n", []),
        ("def f():\n    # heavy\n    import torch\n    x = 1\n    import av\n", [5]),
        ("def f():\n    x = 1  # a comment about x\n\n    import av\n", [4]),
        ("def f():\n    try:\n        import dlib\n    except ImportError:\n        pass\n", [3]),
        (
            "class A:\n    def f(self):\n"
            "        from a import (\n            b,  # why\n        )\n",
            [],
        ),
        ("def f():\n    s = '# not a comment'\n    import av\n", [3]),
    ],
)
def test_uncommented_lazy_imports_finds_them(source, expected):
    assert uncommented_lazy_imports(source) == expected
