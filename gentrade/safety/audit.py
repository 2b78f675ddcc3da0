"""Static audit of Freqtrade strategy source.

The source is parsed with ``ast`` and never imported, compiled to bytecode or executed: deciding whether
code is safe to run must not run it. The rules themselves are data in ``policy.py``; this module walks the
tree and reports every breach with its line, so a human (or an LLM repair loop) can fix them all in one go.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator

from gentrade.errors import AuditFailedError
from gentrade.safety import names, policy, writes
from gentrade.safety.annotations import annotation_problem
from gentrade.safety.calls import CallRules
from gentrade.safety.modules import ModuleBindings
from gentrade.safety.report import AuditReport, Violation, violation
from gentrade.safety.rules import DUNDER as _DUNDER
from gentrade.safety.rules import attribute_problem, module_problem
from gentrade.safety.scopes import NameFacts
from gentrade.safety.structure import istrategy_names, parse, strategy_classes, strategy_violations

__all__ = ["AuditReport", "Violation", "attribute_problem", "audit", "module_problem", "require_clean"]

_FORMAT_ATTRIBUTE = re.compile(r"\.([^.\[\]]+)")
_QUALNAME_HINT = (
    "'__qualname__' may only be set as '<callback>.__qualname__ = \"IStrategy.<callback>\"' directly in the "
    "strategy class body, after that callback's def, for a freqtrade callback that receives 'trade'"
)


def audit(source: str, filename: str | None = None) -> AuditReport:
    """Audit ``source`` without executing it; never raises for any input text."""
    tree, early = parse(source, filename)
    if tree is None:
        return AuditReport(filename=filename, violations=early)
    strategies = strategy_classes(tree, istrategy_names(tree))
    checker = _Checker(tree, {id(node) for node in strategies})
    checker.visit(tree)
    found = checker.violations + strategy_violations(strategies, filename)
    return AuditReport(
        filename=filename,
        class_name=strategies[0].name if len(strategies) == 1 else None,
        violations=sorted(found, key=lambda v: (v.line, v.col)),
    )


def require_clean(source: str, filename: str | None = None) -> AuditReport:
    """Audit and raise ``AuditFailedError`` on any violation, for callers that must not go on."""
    report = audit(source, filename)
    if not report.ok:
        raise AuditFailedError(report.summary(), details=report.to_dict())
    return report


def _format_fields(text: str, nested: bool = False) -> Iterator[str]:
    """Field names of ``text`` read as a ``str.format`` template, including those in format specs.

    ``str.format`` expands replacement fields inside a spec only one level deep, so neither do we (which also
    keeps hostile ``{0:{0:{0:...}}}`` strings from exhausting the recursion limit).
    """
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return
    for _literal, field, spec, _conversion in parsed:
        if field:
            yield field
        if spec and "{" in spec and not nested:
            yield from _format_fields(spec, nested=True)


class _Checker(ast.NodeVisitor):
    """Walks the whole tree once and collects violations; never stops at the first one."""

    def __init__(self, tree: ast.Module, strategy_ids: set[int]) -> None:
        self.violations: list[Violation] = []
        self._strategy_ids = strategy_ids
        self._exempt: set[int] = set()
        self._functions: list[str] = []
        self._logging_aliases, self._getlogger_aliases = _logging_names(tree)
        self._modules = ModuleBindings.of(tree)
        talib = {n for n, m in self._modules.modules.items() if m in ("talib", "talib.abstract")}
        self._facts = NameFacts.of(tree, talib)
        defined = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and self._facts.plain_function(n.name)
        }
        self._calls = CallRules(self._modules, self._facts, defined)
        self._attribute_bases: set[int] = set()
        self._called: set[int] = set()
        self._methods: set[int] = set()
        self._trusted: list[frozenset[str]] = [frozenset()]
        self._exempt.update(_metadata_names(tree))
        self._imported = writes.imported_names(tree)
        self._framework_aliases = writes.framework_aliases(tree)

    def _add(self, node: ast.AST | None, code: str, message: str) -> None:
        self.violations.append(violation(node, code, message))

    # imports -------------------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            problem = module_problem(alias.name)
            if problem is not None:
                self._add(alias, "forbidden_import", problem)
            self._check_identifier(alias, alias.asname)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._add(node, "forbidden_import", "relative imports are not allowed")
            return
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self._add(alias, "star_import", f"'from {module} import *' is not allowed")
                continue
            problem = self._import_name_problem(module, alias.name)
            if problem is not None:
                self._add(alias, "forbidden_import", problem)
            self._check_identifier(alias, alias.asname)

    def _import_name_problem(self, module: str, name: str) -> str | None:
        """``from module import name``: ``name`` may be a submodule, a restricted name or any attribute."""
        restricted = policy.RESTRICTED_MODULES.get(module) or names.MODULE_NAMES.get(module)
        forbidden_name = name in policy.FORBIDDEN_BUILTINS or attribute_problem(name) is not None
        if restricted is not None:
            allowed = name in restricted
        elif module_problem(module) is None:
            allowed = not forbidden_name and f"{module}.{name}" not in policy.DENIED_MODULE_TREES
        elif module_problem(f"{module}.{name}") is None:
            allowed = True
        else:
            return f"import of '{module}.{name}' is not allowed"
        return None if allowed else f"import of '{name}' from '{module}' is not allowed"

    # names and attributes ------------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if id(node) in self._exempt:
            return
        if node.id in policy.FORBIDDEN_BUILTINS:
            self._add(node, "forbidden_name", f"use of '{node.id}' is not allowed")
        elif node.id in policy.DYNAMIC_ATTRIBUTE_BUILTINS:
            self._add(node, "forbidden_name", f"'{node.id}' may only be called directly")
        elif _DUNDER.match(node.id):
            self._add(node, "dunder_access", f"dunder name '{node.id}' is not allowed")
        elif isinstance(node.ctx, ast.Load) and id(node) not in self._attribute_bases:
            module = self._modules.modules.get(node.id)
            if module is not None and self._modules.restricted(module):
                message = f"module '{module}' may only be used as '{node.id}.<allowed name>'"
                self._add(node, "module_reference", message)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._attribute_bases.add(id(node.value))
        self.visit(node.value)
        if id(node) in self._exempt or self._is_super_dunder(node):
            return
        if node.attr == "__qualname__":
            self._add(node, "forbidden_qualname", _QUALNAME_HINT)
            return
        module = self._modules.resolve(node.value)
        step = self._modules.step_problem(module, node.attr) if module is not None else None
        if step is not None:
            self._add(node, "module_attribute", step)
        if node.attr in names.CALL_ONLY_ATTRIBUTES and id(node) not in self._called:
            self._add(node, "dynamic_attribute", f"'.{node.attr}' may only be called directly")
        problem = attribute_problem(node.attr)
        trusted = isinstance(node.value, ast.Name) and node.value.id in self._trusted[-1]
        if problem is not None and not (problem[0] == "private_attribute" and trusted):
            self._add(node, *problem)
        if isinstance(node.ctx, ast.Store | ast.Del):
            write = writes.attribute_write_problem(node, self._trusted[-1], self._imported)
            if write is not None:
                self._add(node, "shared_write", write)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            write = writes.framework_write_problem(node.value, self._trusted[-1], self._framework_aliases)
            if write is not None:
                self._add(node, "shared_write", write)
        self.generic_visit(node)

    def _is_super_dunder(self, node: ast.Attribute) -> bool:
        """``super().__init__(...)`` inside ``__init__`` (and likewise for the other definable dunders)."""
        call = node.value
        return (
            bool(self._functions)
            and node.attr == self._functions[-1]
            and node.attr in policy.DEFINABLE_DUNDER_METHODS
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "super"
            and not call.args
            and not call.keywords
        )

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self._exempt or not isinstance(node.value, str):
            return
        if _DUNDER.match(node.value):
            self._add(node, "dunder_access", f"string '{node.value}' names a dunder")
            return
        if "{" in node.value and "_" in node.value:
            self._check_format_fields(node, node.value)

    def _check_format_fields(self, node: ast.Constant, text: str) -> None:
        """``"{0.__class__}".format(x)`` reads attributes too; any literal may end up as a format template."""
        for field in _format_fields(text):
            for attr in _FORMAT_ATTRIBUTE.findall(field):
                if attr.startswith("_"):
                    code = "dunder_access" if _DUNDER.match(attr) else "private_attribute"
                    self._add(node, code, f"format field '{{{field}}}' reaches '{attr}'")

    # calls ---------------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self._check_parallel_workers(node)
        if isinstance(node.func, ast.Name):
            self._check_builtin_call(node, node.func)
        elif isinstance(node.func, ast.Attribute):
            self._called.add(id(node.func))
            self._check_method_call(node, node.func)
            if node.func.attr in writes.MUTATING_METHODS:
                receiver = node.func.value
                unbound = isinstance(receiver, ast.Name) and receiver.id in writes.UNBOUND_RECEIVERS
                if unbound and node.args:
                    receiver = node.args[0]
                write = writes.framework_write_problem(receiver, self._trusted[-1], self._framework_aliases)
                if write is not None:
                    self._add(node, "shared_write", write)
            for culprit, code, message in self._calls.check(node, node.func):
                self._add(culprit, code, message)
        self._exempt_logger_name(node)
        self.generic_visit(node)

    def _check_parallel_workers(self, node: ast.Call) -> None:
        """``workers=2`` (or the same key in a ``**{...}`` literal): a library's own process pool."""
        named = [(kw.arg, kw.value) for kw in node.keywords if kw.arg is not None]
        for kw in node.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                named += [
                    (k.value, v)
                    for k, v in zip(kw.value.keys, kw.value.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                ]
        for name, value in named:
            single = isinstance(value, ast.Constant) and value.value in (1, None) and value.value is not True
            if name in policy.PARALLEL_KEYWORDS and not single:
                self._add(
                    node,
                    "parallel_workers",
                    f"'{name}=' starts a pool of processes, which the sandbox refuses; leave it at 1",
                )

    def _check_builtin_call(self, node: ast.Call, func: ast.Name) -> None:
        if func.id in policy.FORBIDDEN_BUILTINS:
            self._exempt.add(id(func))
            self._add(node, "forbidden_call", f"call of '{func.id}' is not allowed")
        elif func.id in policy.DYNAMIC_ATTRIBUTE_BUILTINS:
            self._exempt.add(id(func))
            self._check_dynamic_attribute(node, func.id)
            if func.id != "getattr":
                write = writes.setattr_problem(node, self._trusted[-1])
                if write is not None:
                    self._add(node, "shared_write", write)

    def _check_dynamic_attribute(self, node: ast.Call, builtin: str) -> None:
        name = node.args[1] if len(node.args) > 1 and not node.keywords else None
        looped = self._facts.loop_strings(name) if isinstance(name, ast.Name) else None
        if looped is not None:
            for text in (str(constant.value) for constant in looped):
                problem = attribute_problem(text)
                if problem is not None:
                    self._add(node, problem[0], f"{builtin}() over '{text}': {problem[1]}")
            return
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            self._add(node, "dynamic_attribute", f"{builtin}() needs a string literal attribute name")
            return
        problem = attribute_problem(name.value)
        if problem is not None:
            self._exempt.add(id(name))
            self._add(node, problem[0], f"{builtin}(): {problem[1]}")

    def _check_method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in policy.BUFFER_WRITERS and not node.args and not node.keywords:
            self._exempt.add(id(func))
        if func.attr == "ta" and not _literal_ta_kind(node):
            self._add(node, "dynamic_attribute", ".ta() needs its kind as a string literal")
        if func.attr in policy.STRING_DISPATCH_METHODS:
            arguments = [*node.args, *(k.value for k in node.keywords)]
            for constant, text in _display_constants(arguments):
                problem = attribute_problem(text)
                if problem is not None:
                    self._exempt.add(id(constant))
                    self._add(constant, "dynamic_attribute", f".{func.attr}() by name: {problem[1]}")

    def _exempt_logger_name(self, node: ast.Call) -> None:
        """``logging.getLogger(__name__)`` is the one place ``__name__`` may appear."""
        func = node.func
        is_get_logger = (
            isinstance(func, ast.Attribute)
            and func.attr == "getLogger"
            and isinstance(func.value, ast.Name)
            and func.value.id in self._logging_aliases
        ) or (isinstance(func, ast.Name) and func.id in self._getlogger_aliases)
        args = node.args
        if is_get_logger and len(args) == 1 and not node.keywords:
            arg = args[0]
            if isinstance(arg, ast.Name) and arg.id == "__name__":
                self._exempt.add(id(arg))

    # definitions and statements ------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_definition(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_definition(node)

    def _check_definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if _DUNDER.match(node.name) and node.name not in policy.DEFINABLE_DUNDER_METHODS:
            self._add(node, "dunder_definition", f"defining '{node.name}' is not allowed")
        self._check_annotation(node.returns)
        self._functions.append(node.name)
        self._trusted.append(self._trusted_receivers(node))
        self.generic_visit(node)
        self._trusted.pop()
        self._functions.pop()

    def _trusted_receivers(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> frozenset[str]:
        """Names on which private attributes are allowed: a method's own ``self``/``cls`` parameter, as long
        as nothing in the method rebinds it (``cls = self.dp`` would otherwise open ``cls._exchange``)."""
        parameters = [a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]]
        inherited = self._trusted[-1] - set(parameters)
        if id(node) not in self._methods or not parameters or parameters[0] not in ("self", "cls"):
            return inherited
        first = parameters[0]
        rebound = (
            any(
                isinstance(n, ast.Name) and n.id == first and not isinstance(n.ctx, ast.Load)
                for n in ast.walk(node)
            )
            or sum(isinstance(n, ast.arg) and n.arg == first for n in ast.walk(node)) > 1
        )
        return inherited if rebound else inherited | {first}

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._trusted.append(self._trusted_receivers(node))
        self.generic_visit(node)
        self._trusted.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_identifier(node, node.name)
        for keyword in node.keywords:
            message = f"class keyword '{keyword.arg}' is not allowed (it runs code at class creation)"
            self._add(keyword.value, "class_keyword", message)
        for base in node.bases:
            if isinstance(base, ast.Starred):
                self._add(base, "dynamic_base", "starred class bases are not allowed")
        for child in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(child)
        methods = (s for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef))
        self._methods.update(id(s) for s in methods)
        if id(node) in self._strategy_ids:
            self._visit_strategy_body(node.body)
        else:
            for statement in node.body:
                self.visit(statement)

    def _visit_strategy_body(self, body: list[ast.stmt]) -> None:
        """Like any class body, except for GenTrade's ``<callback>.__qualname__ = "IStrategy.<callback>"``."""
        defined: set[str] = set()
        for statement in body:
            if _is_qualname_marker(statement, defined):
                continue
            self.visit(statement)
            _track_methods(statement, defined)

    def visit_Global(self, node: ast.Global) -> None:
        self._add(node, "global_statement", f"'global {', '.join(node.names)}' is not allowed")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self._check_identifier(node, name)

    def visit_arg(self, node: ast.arg) -> None:
        self._check_identifier(node, node.arg)
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """``cfg |= {...}`` updates the dict in place: through an alias of freqtrade's, a write into it.
        (``+=`` is left alone: on the numbers people read from the config it only rebinds the name; a list
        extended in place is what the run's settings check catches.)"""
        target = node.target
        merges = isinstance(node.op, ast.BitOr | ast.BitAnd | ast.BitXor)
        if merges and isinstance(target, ast.Name) and target.id in self._framework_aliases:
            message = f"'{target.id}' holds part of freqtrade's config; it is read-only"
            self._add(node, "shared_write", message)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def _check_annotation(self, annotation: ast.expr | None) -> None:
        problem = annotation_problem(annotation)
        if problem is not None:
            self._add(annotation, "annotation_code", problem)

    def visit_keyword(self, node: ast.keyword) -> None:
        self._check_identifier(node, node.arg)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self._check_identifier(node, node.name)
        self.generic_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        """``case C(attr=x)`` reads ``subject.attr``: the same rules as ``subject.attr``."""
        for attr in node.kwd_attrs:
            problem = attribute_problem(attr)
            if problem is not None:
                self._add(node, *problem)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self._check_identifier(node, node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        self._check_identifier(node, node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self._check_identifier(node, node.rest)
        self.generic_visit(node)

    def _check_identifier(self, node: ast.AST, name: str | None) -> None:
        if name is not None and _DUNDER.match(name):
            self._add(node, "dunder_access", f"dunder name '{name}' is not allowed")


def _is_qualname_marker(statement: ast.stmt, defined: set[str]) -> bool:
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return False
    target, value = statement.targets[0], statement.value
    return (
        isinstance(target, ast.Attribute)
        and target.attr == "__qualname__"
        and isinstance(target.value, ast.Name)
        and target.value.id in defined
        and target.value.id in policy.TRADE_CALLBACKS
        and isinstance(value, ast.Constant)
        and type(value.value) is str
        and value.value == f"IStrategy.{target.value.id}"
    )


def _track_methods(statement: ast.stmt, defined: set[str]) -> None:
    """Keep ``defined`` = names whose latest binding in the class body is a plain ``def``."""
    if isinstance(statement, ast.FunctionDef):
        defined.add(statement.name)
        return
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.discard(node.id)
        elif isinstance(node, ast.ClassDef | ast.AsyncFunctionDef):
            defined.discard(node.name)


def _logging_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the logging module and to ``logging.getLogger``, for the ``__name__`` exception."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "logging")
        elif isinstance(node, ast.ImportFrom) and node.module == "logging" and not node.level:
            functions.update(a.asname or a.name for a in node.names if a.name == "getLogger")
    return modules, functions


def _literal_ta_kind(node: ast.Call) -> bool:
    """pandas_ta's ``df.ta(kind=...)`` looks the method up by that name: only a name the audit can read (a
    string literal, or none), never one computed or passed in ``**kwargs``."""
    if any(k.arg is None for k in node.keywords):
        return False
    kind = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "kind"), None)
    return kind is None or (isinstance(kind, ast.Constant) and isinstance(kind.value, str))


def _display_constants(expressions: list[ast.expr]) -> Iterator[tuple[ast.Constant, str]]:
    """String literals given directly or inside list/tuple/set/dict displays, not deeper expressions."""
    for expression in expressions:
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            yield expression, expression.value
        elif isinstance(expression, ast.List | ast.Tuple | ast.Set):
            yield from _display_constants(expression.elts)
        elif isinstance(expression, ast.Dict):
            yield from _display_constants([v for v in expression.values if v is not None])


def _metadata_names(tree: ast.Module) -> set[int]:
    """``__author__ = "..."`` and its kin at module level: the target name and its literal value."""
    exempt: set[int] = set()
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target, value = statement.targets[0], statement.value
        values = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        literal = all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values)
        name = target.id if isinstance(target, ast.Name) else ""
        if _DUNDER.match(name) and name not in names.RUNTIME_MODULE_DUNDERS and literal:
            exempt.add(id(target))
            exempt.update(id(v) for v in values)
    return exempt
