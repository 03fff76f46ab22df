"""The student's definitions, extracted from a notebook's cells for the probe process.

Probes never run inside the notebook's kernel. They run in a fresh sandboxed process that
loads only what the notebook *defines*, and loading must not run student code: a statement
is kept only when executing it cannot call anything the student wrote.

Kept (top level, in cell order):
- ``import`` / ``from … import`` (absolute; the probe process has no student files on its path);
- ``def`` and ``class`` whose decorators are trusted callables (``trusted_decorators``, dotted
  names after resolving import aliases, e.g. ``d2l.torch.add_to_class``) applied to names or
  nothing, whose default values are constants or names, with annotations dropped; a class
  may only have bases that are names, no keywords (metaclass) and a body of such ``def``s,
  docstrings, ``pass`` and constant assignments, and no hook run at class creation
  (``__init_subclass__``, ``__set_name__``, ``__class_getitem__``, ``__prepare__``);
- ``NAME = constant`` (numbers, strings, tuples/lists of them, small arithmetic).
Everything else (calls, loops, training runs, magics) is skipped and listed, so student code
runs only when a probe calls it.

``constant_calls`` also reads the top-level ``NAME = callee(args)`` lines whose arguments are
constants (e.g. ``model = SoftmaxRegressionScratch(num_inputs=28*28, num_outputs=10, lr=0.1)``)
as plain data, for packs that re-run a setting the notebook chose.
"""

from __future__ import annotations

import ast
import operator
import textwrap
from dataclasses import dataclass, field
from typing import Any

ALWAYS_TRUSTED = ("staticmethod", "classmethod", "property", "abc.abstractmethod")
CREATION_HOOKS = {"__init_subclass__", "__set_name__", "__class_getitem__", "__prepare__", "__mro_entries__"}
_MAX_CONSTANT = 10**9
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}


@dataclass(frozen=True)
class Call:
    """``NAME = callee(*args, **kwargs)`` with constant arguments."""

    callee: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Definitions:
    statements: tuple[str, ...]  # source of each kept statement, in order
    skipped: tuple[str, ...] = ()  # "cell N line L: why" for each dropped statement
    calls: dict[str, Call] = field(default_factory=dict)  # last constant call per name

    def to_json(self) -> dict[str, Any]:
        return {"statements": list(self.statements), "skipped": list(self.skipped)}


def _strip_magics(source: str) -> str:
    """IPython-only lines (`!pip …`, `%matplotlib …`, `%%time`) become blank lines; a cell whose
    first line is indented is dedented, as IPython's `leading_indent` transformer does."""
    source = "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())
    first = next((line for line in source.splitlines() if line.strip()), "")
    return textwrap.dedent(source) if first[:1] in (" ", "\t") else source


def constant_value(node: ast.AST) -> Any:
    """The value of a constant expression, or raise ValueError (nothing is executed)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and abs(node.value) > _MAX_CONSTANT:
            raise ValueError("constant too large")
        if isinstance(node.value, str) and len(node.value) > 10_000:
            raise ValueError("string too long")
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) <= 64:
        values = [constant_value(e) for e in node.elts]
        return tuple(values) if isinstance(node, ast.Tuple) else values
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant_value(node.operand)
        if not isinstance(value, (int, float)):
            raise ValueError("not a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = constant_value(node.left), constant_value(node.right)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            raise ValueError("not a number")
        value = _OPS[type(node.op)](left, right)
        if abs(value) > _MAX_CONSTANT:
            raise ValueError("constant too large")
        return value
    raise ValueError(f"not a constant: {type(node).__name__}")


def _is_constant(node: ast.AST | None) -> bool:
    if node is None:
        return True
    try:
        constant_value(node)
        return True
    except (ValueError, ZeroDivisionError, TypeError):
        return False


def _dotted(node: ast.AST) -> str | None:
    """'a.b.c' for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Extractor:
    def __init__(self, trusted_decorators: tuple[str, ...]) -> None:
        self.trusted = set(ALWAYS_TRUSTED) | set(trusted_decorators)
        self.aliases: dict[str, str] = {}  # local name → module path it was imported as
        self.defined: set[str] = set()  # names bound by kept statements (student-made)

    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    def why_not(self, node: ast.stmt) -> str | None:
        """None when the statement is a definition that runs no student code when loaded."""
        if isinstance(node, ast.Import):
            return None
        if isinstance(node, ast.ImportFrom):
            return None if node.level == 0 else "relative import"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self._function(node)
        if isinstance(node, ast.ClassDef):
            return self._class(node)
        if isinstance(node, ast.Assign):
            if all(isinstance(t, ast.Name) for t in node.targets) and _is_constant(node.value):
                return None
            return "an assignment of a computed value (runs code)"
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return None  # a docstring or bare constant
        if isinstance(node, ast.Pass):
            return None
        return f"a top-level {type(node).__name__} statement (runs code)"

    def _decorator(self, node: ast.expr) -> str | None:
        target = node
        if isinstance(node, ast.Call):  # only names may be passed, e.g. @d2l.add_to_class(Model)
            if node.keywords or any(_dotted(a) is None for a in node.args):
                return "a decorator called with computed arguments"
            target = node.func
        dotted = _dotted(target)
        if dotted is None:
            return "a computed decorator"
        head = dotted.split(".")[0]
        if head in self.defined and head not in self.aliases:
            return f"decorator '{dotted}' is defined in the notebook"
        if self.resolve(dotted) not in self.trusted:
            return f"decorator '{dotted}' is not one the grader trusts"
        return None

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        for dec in node.decorator_list:
            why = self._decorator(dec)
            if why:
                return why
        a = node.args
        for default in [*a.defaults, *a.kw_defaults]:
            if default is not None and not (_is_constant(default) or _dotted(default) is not None):
                return "a default value that is computed"
        return None

    def _class(self, node: ast.ClassDef) -> str | None:
        if node.keywords:
            return "class keywords (metaclass)"
        if any(_dotted(b) is None for b in node.bases):
            return "a computed base class"
        for dec in node.decorator_list:
            why = self._decorator(dec)
            if why:
                return why
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if item.name in CREATION_HOOKS:
                    return f"'{item.name}' runs when classes are created"
                why = self._function(item)
                if why:
                    return f"method {item.name}: {why}"
            elif isinstance(item, ast.Import) or (isinstance(item, ast.ImportFrom) and item.level == 0):
                continue  # an import in a class body runs no student code, as at top level
            elif isinstance(item, ast.Assign):
                if not (all(isinstance(t, ast.Name) for t in item.targets) and _is_constant(item.value)):
                    return "a class attribute that is computed"
            elif not (isinstance(item, ast.Pass) or (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant))):
                return f"a {type(item).__name__} statement in the class body"
        return None

    def keep(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else local
                self.defined.discard(local)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                self.aliases[local] = f"{node.module}.{alias.name}"
                self.defined.discard(local)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.defined.add(node.name)
            self.aliases.pop(node.name, None)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                self.defined.add(t.id)  # type: ignore[attr-defined]
                self.aliases.pop(t.id, None)  # type: ignore[attr-defined]


class _DropAnnotations(ast.NodeTransformer):
    """Annotations are evaluated at definition time: drop them."""

    def visit_FunctionDef(self, node):  # noqa: N802
        self.generic_visit(node)
        node.returns = None
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                    node.args.vararg, node.args.kwarg]:
            if arg is not None:
                arg.annotation = None
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node):  # noqa: N802
        return None


def extract_definitions(cells: list[str], trusted_decorators: tuple[str, ...] = ()) -> Definitions:
    """Definitions of the given code cells (sources, in execution order)."""
    ex = _Extractor(trusted_decorators)
    kept: list[str] = []
    skipped: list[str] = []
    calls: dict[str, Call] = {}
    for index, source in enumerate(cells):
        try:
            tree = ast.parse(_strip_magics(source))
        except SyntaxError as exc:
            skipped.append(f"cell {index}: not valid Python ({exc.msg}, line {exc.lineno})")
            continue
        for node in tree.body:
            call = _constant_call(node)
            if call is not None:
                calls[call[0]] = call[1]
            why = ex.why_not(node)
            if why is not None:
                first = ast.get_source_segment(_strip_magics(source), node) or type(node).__name__
                skipped.append(f"cell {index} line {node.lineno}: {first.splitlines()[0][:80]} — {why}")
                continue
            ex.keep(node)
            clean = _DropAnnotations().visit(node)
            kept.append(ast.unparse(ast.fix_missing_locations(clean)))
    return Definitions(tuple(kept), tuple(skipped), calls)


def _constant_call(node: ast.stmt) -> tuple[str, Call] | None:
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)):
        return None
    callee = _dotted(node.value.func)
    if callee is None:
        return None
    args, kwargs = [], {}
    for a in node.value.args:
        args.append(constant_value(a) if _is_constant(a) else None)
    for k in node.value.keywords:
        if k.arg is not None:
            kwargs[k.arg] = constant_value(k.value) if _is_constant(k.value) else None
    return node.targets[0].id, Call(callee, tuple(args), kwargs)
