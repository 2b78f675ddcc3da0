"""Which *names* a strategy may use, as data (the module-level rules are in ``policy.py``).

An import allow-list alone is not enough: allowed modules carry other modules and dangerous helpers as
attributes (``logging.config`` once freqtrade imported it, ``dataclasses.builtins``, ``DataFrame.to_iceberg``
in a newer pandas). So for the small standard modules a strategy may import, only the names strategies use
are admitted; ``to_*`` conversions are admitted by name; and entry points that turn a *string* into a
method call (``df.apply("to_csv")``) accept only literal names from a list. Everything here is an
allow-list: a name that a future library version adds is refused until someone looks at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_LEVELS = frozenset({"CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET"})
_TYPING = frozenset(
    {
        "Any", "Callable", "ClassVar", "Dict", "Final", "FrozenSet", "Iterable", "Iterator", "List",
        "Literal", "Mapping", "MutableMapping", "NamedTuple", "Optional", "Sequence", "Set", "Tuple",
        "Type", "TypeVar", "TypedDict", "Union", "cast", "overload", "Generator", "Hashable", "Deque",
        "DefaultDict", "TYPE_CHECKING", "Counter", "OrderedDict", "Annotated", "Protocol", "Self",
        "Collection", "Generic", "Container", "Sized", "NoReturn", "Never", "TypeAlias", "Text", "AnyStr",
        "Awaitable", "SupportsFloat", "SupportsInt", "SupportsIndex", "Reversible", "AbstractSet",
        "MutableSequence", "MutableSet", "ParamSpec", "Concatenate", "Required", "NotRequired", "Unpack",
        "TypeGuard", "LiteralString", "final", "runtime_checkable", "get_args", "get_origin", "assert_never",
    }
)  # fmt: skip
_COLLECTIONS_ABC = frozenset(
    {
        "Callable", "Collection", "Container", "Hashable", "ItemsView", "Iterable", "Iterator", "KeysView",
        "Mapping", "MappingView", "MutableMapping", "MutableSequence", "MutableSet", "Reversible",
        "Sequence", "Set", "Sized", "ValuesView", "Generator",
    }
)  # fmt: skip

MODULE_NAMES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "__future__": frozenset({"annotations"}),
        "logging": _LEVELS
        | frozenset(
            {
                "getLogger",
                "Logger",
                "LoggerAdapter",
                "Filter",
                "LogRecord",
                "NullHandler",
                "Formatter",
                "getLevelName",
                "debug",
                "info",
                "warning",
                "error",
                "exception",
                "critical",
                "log",
            }
        ),  # fmt: skip
        "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone", "tzinfo", "UTC"})
        | frozenset({"MINYEAR", "MAXYEAR"}),
        "typing": _TYPING,
        "math": frozenset(
            {
                "acos",
                "acosh",
                "asin",
                "asinh",
                "atan",
                "atan2",
                "atanh",
                "cbrt",
                "ceil",
                "comb",
                "copysign",
                "cos",
                "cosh",
                "degrees",
                "dist",
                "e",
                "erf",
                "erfc",
                "exp",
                "exp2",
                "expm1",
                "fabs",
                "factorial",
                "floor",
                "fmod",
                "frexp",
                "fsum",
                "gamma",
                "gcd",
                "hypot",
                "inf",
                "isclose",
                "isfinite",
                "isinf",
                "isnan",
                "isqrt",
                "lcm",
                "ldexp",
                "lgamma",
                "log",
                "log10",
                "log1p",
                "log2",
                "modf",
                "nan",
                "nextafter",
                "perm",
                "pi",
                "pow",
                "prod",
                "radians",
                "remainder",
                "sin",
                "sinh",
                "sqrt",
                "tan",
                "tanh",
                "tau",
                "trunc",
                "ulp",
            }
        ),  # fmt: skip
        "functools": frozenset(
            {
                "reduce",
                "partial",
                "lru_cache",
                "cache",
                "cached_property",
                "wraps",
                "total_ordering",
                "cmp_to_key",
                "partialmethod",
                "singledispatch",
                "singledispatchmethod",
                "update_wrapper",
            }
        ),  # fmt: skip
        "decimal": frozenset(
            {
                "Decimal",
                "InvalidOperation",
                "DivisionByZero",
                "ROUND_05UP",
                "ROUND_CEILING",
                "ROUND_DOWN",
                "ROUND_FLOOR",
                "ROUND_HALF_DOWN",
                "ROUND_HALF_EVEN",
                "ROUND_HALF_UP",
                "ROUND_UP",
                "getcontext",
                "localcontext",
            }
        ),  # fmt: skip
        "dataclasses": frozenset(
            {"dataclass", "field", "fields", "asdict", "astuple", "is_dataclass", "InitVar", "KW_ONLY"}
            | {"MISSING", "FrozenInstanceError"}
        ),
        "enum": frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "auto", "unique"}),
        "itertools": frozenset(
            {
                "accumulate",
                "chain",
                "combinations",
                "combinations_with_replacement",
                "compress",
                "count",
                "cycle",
                "dropwhile",
                "filterfalse",
                "groupby",
                "islice",
                "pairwise",
                "permutations",
                "product",
                "repeat",
                "starmap",
                "takewhile",
                "tee",
                "zip_longest",
            }
        ),  # fmt: skip
        "statistics": frozenset(
            {
                "mean",
                "fmean",
                "geometric_mean",
                "harmonic_mean",
                "median",
                "median_low",
                "median_high",
                "median_grouped",
                "mode",
                "multimode",
                "quantiles",
                "pstdev",
                "pvariance",
                "stdev",
                "variance",
                "correlation",
                "covariance",
                "linear_regression",
                "NormalDist",
                "StatisticsError",
            }
        ),  # fmt: skip
        "collections": frozenset(
            {"deque", "defaultdict", "OrderedDict", "Counter", "namedtuple", "ChainMap", "abc"}
            | {"UserDict", "UserList", "UserString"}
        ),
        "collections.abc": _COLLECTIONS_ABC,
    }
)
"""Modules a strategy may import whose attributes are limited to these names, for ``mod.name`` and
``from mod import name`` alike. Such a module may not be used bare either (``x = logging``), since a module
object handed elsewhere could be walked by names this audit never sees."""

RUNTIME_MODULE_DUNDERS: frozenset[str] = frozenset(
    {
        "__builtins__", "__path__", "__spec__", "__loader__", "__package__", "__name__", "__file__",
        "__cached__", "__class__", "__getattr__", "__dir__", "__dict__", "__doc__", "__module__",
        "__qualname__", "__import__", "__debug__", "__annotations__", "__all__",
    }
)  # fmt: skip
"""Module dunders the interpreter or importers read. Any *other* module-level dunder assigned a string literal
(``__author__``, ``__version__``, ``__BTC_donation__`` ...) is metadata: assigning it is all it does."""

SAFE_TO_METHODS: frozenset[str] = frozenset(
    {
        "to_datetime", "to_datetime64", "to_dict", "to_flat_index", "to_frame", "to_julian_date", "to_list",
        "to_numeric", "to_numpy", "to_period", "to_pydatetime", "to_pytimedelta", "to_records",
        "to_series", "to_timedelta", "to_timedelta64", "to_timestamp", "to_tuples", "to_offset",
    }
)  # fmt: skip
"""``to_*`` conversions that stay in memory. Every other ``to_*`` name (``to_csv`` ... ``to_iceberg``) writes
somewhere or pulls in an I/O library, so it is refused whatever the receiver."""

STRICT_DISPATCH_METHODS: frozenset[str] = frozenset({"apply", "agg", "aggregate", "transform", "pipe"})
"""Methods that resolve a string argument to a method by name. Their function argument must be a literal from
``DISPATCH_NAMES``, a lambda, a function defined or imported in the file, an attribute of an imported module
or of ``self``; a computed value (``"".join(["to", "_csv"])``, a parameter, ``*args``) is refused."""

DISPATCH_NAMES: frozenset[str] = frozenset(
    {
        "mean", "median", "sum", "min", "max", "std", "var", "sem", "count", "size", "first", "last",
        "prod", "nunique", "skew", "kurt", "idxmin", "idxmax", "any", "all", "cumsum", "cumprod", "cummax",
        "cummin", "abs", "rank", "pct_change", "diff", "shift", "ffill", "bfill", "quantile", "ohlc",
        "nlargest", "nsmallest", "unique", "mode", "round", "sqrt", "log", "exp", "sign",
    }
)  # fmt: skip
"""Literal function names accepted by ``apply``/``agg``/``transform``: aggregations and numpy ufuncs."""

CALL_ONLY_ATTRIBUTES: frozenset[str] = STRICT_DISPATCH_METHODS | frozenset(
    {"rename", "replace", "set_option", "option_context"}
)
"""Attributes vetted by the shape of their call, so they may not be taken as values (``f = df.agg``)."""

PATH_MOVERS: frozenset[str] = frozenset({"rename", "replace"})
"""``Path.rename(target)``/``Path.replace(target)`` move files, while ``DataFrame.rename(columns=...)`` and
``str.replace(old, new)`` are everywhere: a call with one positional argument that is not a mapping, a
function or a plain literal label (no path separator), or with a ``target`` keyword, is refused."""

OPTION_SETTERS: frozenset[str] = frozenset({"set_option", "option_context"})
OPTION_PREFIXES: tuple[str, ...] = ("display.", "mode.", "compute.", "future.")
"""pandas options whose keys are regexes; ``plotting.backend`` imports any module named in its value."""
