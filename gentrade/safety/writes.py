"""Which objects strategy code may change: its own state, and the frames it builds. Nothing shared.

A strategy runs in the process that computes its results. ``Trade.calc_profit_ratio = ...``,
``setattr(LocalTrade, "close_profit", ...)``, ``self.config["fee"] = 0`` or ``trade.open_rate = ...`` inside a
callback would change how freqtrade fills, charges and counts, and the report would lie while every file,
socket and process stayed untouched. Python 3.11 raises no audit event for an ordinary attribute set on a
class, so the runtime guard cannot see these; the audit refuses them by shape:

- an attribute may be set or deleted on the method's own ``self``/``cls``, one level deep (``self.cache =
  {}``), except the attributes freqtrade hands the strategy (``config``, ``dp``, ``wallets``);
- deeper writes on ``self`` only where freqtrade's documentation asks for them (``self.freqai.class_names``);
- on anything else only a frame's or series' labels (``frame.columns = [...]``, ``series.name = "x"``), and
  never on a name the file imported (``DataFrame.columns = ...`` would replace pandas' property);
- ``self.config``, ``self.dp`` and ``self.wallets`` are never written through (item assignment, ``del``,
  ``.update()``, ``.pop()``, ``dict.update(self.config, ...)``, ``|=``, ...): the backtest reads its fees
  and limits from the very same dict; nor through a name bound to them, to ``getattr(self, "config")``, to a
  display holding them (``[self.config]``) or by a loop over one (``for c in [self.config]``,
  ``for part in self.config.values()``). What this cannot follow (a helper function's parameter) the
  backtest child's settings check (``gentrade.engine.run_settings``) catches at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

FRAMEWORK_OWNED: frozenset[str] = frozenset({"config", "dp", "wallets"})
"""Attributes freqtrade sets on the strategy and reads back itself."""

DOCUMENTED_DEEP_WRITES: frozenset[tuple[str, ...]] = frozenset({("freqai", "class_names")})
"""Writes below ``self`` that freqtrade's own documentation and examples make (FreqAI classifier labels)."""

LABEL_ATTRIBUTES: frozenset[str] = frozenset({"columns", "index", "name", "names"})
"""Attributes a strategy sets on a frame, series or index it holds: its labels."""

MUTATING_METHODS: frozenset[str] = frozenset({"update", "pop", "popitem", "clear", "setdefault"})
"""Methods that change a dict in place."""


@dataclass(frozen=True)
class Chain:
    """``root.a.b[...].c`` read back to front: the root name (None when it is not a plain name) and the
    attribute names from the root outwards (subscripts and calls are steps without a name)."""

    root: str | None
    attributes: tuple[str, ...]

    @classmethod
    def of(cls, node: ast.expr) -> Chain:
        attributes: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                attributes.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Subscript):
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            else:
                break
        root = node.id if isinstance(node, ast.Name) else None
        return cls(root, tuple(reversed(attributes)))


def imported_names(tree: ast.Module) -> frozenset[str]:
    """Every name an import statement of the file binds (modules, classes, functions)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            bound.update(alias.asname or alias.name for alias in node.names)
    return frozenset(bound)


def framework_aliases(tree: ast.Module) -> frozenset[str]:
    """Names the file binds to ``self.config``/``self.dp``/``self.wallets`` (or that ``__init__`` receives
    the config as) or to a part of the config
    (``exchange = self.config["exchange"]``, ``self.config.get("exchange")``): writing through them writes
    into freqtrade's objects too. What their methods return (a dataframe from ``self.dp``) is not theirs."""
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__" and len(node.args.args) > 1:
            aliases.add(node.args.args[1].arg)  # the config freqtrade hands __init__, before it reads the fee
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and _holds_framework(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and _yields_framework(node.iter):
            targets = [node.target]
        aliases.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    # A second pass: what the first pass found may itself be put in a container or looped over.
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and _names_in(node.iter, aliases):
            aliases.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    return frozenset(aliases)


def _holds_framework(value: ast.expr | None) -> bool:
    """``value`` is freqtrade's object or part of it (``_reaches_framework``), ``getattr(self, "config")``,
    or a list, tuple, set or dict display, conditional or ``or``/``and`` with one among its parts."""
    if value is None:
        return False
    if _reaches_framework(value) or _getattr_of_framework(value):
        return True
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return any(_holds_framework(e.value if isinstance(e, ast.Starred) else e) for e in value.elts)
    if isinstance(value, ast.Dict):
        return any(_holds_framework(v) for v in value.values)
    if isinstance(value, ast.IfExp):
        return _holds_framework(value.body) or _holds_framework(value.orelse)
    if isinstance(value, ast.BoolOp):
        return any(_holds_framework(v) for v in value.values)
    return False


def _yields_framework(iterable: ast.expr) -> bool:
    """A loop over a display holding freqtrade's objects, or over ``<config part>.values()``/``.items()``."""
    func = iterable.func if isinstance(iterable, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in ("values", "items") and _holds_framework(func.value):
        return True
    return _holds_framework(iterable)


def _names_in(iterable: ast.expr, aliases: set[str]) -> bool:
    """A loop over a display naming an alias (``for c in [cfg]``), or over an alias's values or items."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute):
        iterable = iterable.func.value if iterable.func.attr in ("values", "items") else iterable
    if isinstance(iterable, ast.Name):
        return iterable.id in aliases
    if isinstance(iterable, ast.List | ast.Tuple | ast.Set):
        return any(isinstance(e, ast.Name) and e.id in aliases for e in iterable.elts)
    return False


def _getattr_of_framework(value: ast.expr) -> bool:
    """``getattr(self, "config")``: the same object as ``self.config``."""
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "getattr"
        and len(value.args) >= 2
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id in ("self", "cls")
        and isinstance(value.args[1], ast.Constant)
        and value.args[1].value in FRAMEWORK_OWNED
    )


def _reaches_framework(value: ast.expr | None) -> bool:
    """``value`` is ``self.<owned>`` followed by attributes, subscripts or, on the config, ``.get()``."""
    calls_ok = True
    while isinstance(value, ast.Attribute | ast.Subscript | ast.Call):
        if isinstance(value, ast.Call):
            func = value.func
            calls_ok = calls_ok and isinstance(func, ast.Attribute) and func.attr == "get"
            value = func
        elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            owned = value.value.id in ("self", "cls") and value.attr in FRAMEWORK_OWNED
            return owned and calls_ok
        else:
            value = value.value
    return False


def attribute_write_problem(
    target: ast.Attribute, trusted: frozenset[str], imported: frozenset[str]
) -> str | None:
    """Why setting or deleting ``target`` is refused, or None when it may be written."""
    chain = Chain.of(target)
    if chain.root in trusted:
        if len(chain.attributes) == 1:
            if target.attr in FRAMEWORK_OWNED:
                return f"'{chain.root}.{target.attr}' is freqtrade's; keep your own state under another name"
            return None
        if chain.attributes in DOCUMENTED_DEEP_WRITES:
            return None
        return (
            f"'{chain.root}.{'.'.join(chain.attributes)}' writes inside another object (freqtrade's hang off "
            f"'{chain.root}' too); only '{chain.root}.<name> = ...' may be assigned"
        )
    if target.attr in LABEL_ATTRIBUTES and chain.root is not None and chain.root not in imported:
        return None
    where = f"'{chain.root}'" if chain.root is not None else "an expression"
    return (
        f"setting '.{target.attr}' on {where} is not allowed: a strategy may assign only 'self.<name>' and "
        "the labels of its own frames ('.columns', '.index', '.name', '.names')"
    )


def framework_write_problem(
    receiver: ast.expr, trusted: frozenset[str], aliases: frozenset[str]
) -> str | None:
    """Why writing through ``receiver`` (an item assignment's or a mutating call's object) is refused:
    it is, or lies inside, ``self.config``, ``self.dp`` or ``self.wallets`` (directly or by an alias)."""
    if _getattr_of_framework(receiver):
        return "getattr(self, ...) of freqtrade's object is read-only like the attribute itself"
    chain = Chain.of(receiver)
    if chain.root in trusted and chain.attributes and chain.attributes[0] in FRAMEWORK_OWNED:
        return (
            f"'{chain.root}.{chain.attributes[0]}' is freqtrade's and read by the backtest; it is read-only"
        )
    if chain.root in aliases:
        return f"'{chain.root}' holds part of freqtrade's config or data provider; it is read-only"
    return None


def setattr_problem(call: ast.Call, trusted: frozenset[str]) -> str | None:
    """``setattr(obj, "name", v)`` and ``delattr(obj, "name")``: on ``self`` alone, like ``self.name = v``."""
    receiver = call.args[0] if call.args else None
    if not (isinstance(receiver, ast.Name) and receiver.id in trusted):
        return "setattr()/delattr() may only change the strategy's own 'self'"
    name = call.args[1] if len(call.args) > 1 else None
    if isinstance(name, ast.Constant) and name.value in FRAMEWORK_OWNED:
        return f"'{receiver.id}.{name.value}' is freqtrade's; keep your own state under another name"
    return None


UNBOUND_RECEIVERS: frozenset[str] = frozenset({"dict", "list", "set", "OrderedDict", "defaultdict"})
"""``dict.update(self.config, ...)`` mutates its first argument: that argument is the receiver."""
