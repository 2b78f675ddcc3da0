"""Behaviour of ``gentrade.safety.audit`` beyond the hostile corpus: what must pass, the narrow
exceptions, the report shape, and robustness on arbitrary input."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import freqtrade.templates
import pytest
from freqtrade.commands.deploy_commands import deploy_new_strategy
from hypothesis import given, settings
from hypothesis import strategies as st

from gentrade.codegen import render, strategy_filename
from gentrade.errors import AuditFailedError
from gentrade.examples import load_examples
from gentrade.safety import AuditReport, Violation, audit, require_clean
from gentrade.safety.policy import MAX_AST_DEPTH, MAX_SOURCE_BYTES, TRADE_CALLBACKS
from gentrade.spec import StrategySpec

TEMPLATES = Path(freqtrade.templates.__file__).parent
COMMUNITY = sorted((Path(__file__).parent / "community").glob("*.py"))

HEADER = """\
import logging

import numpy as np
import pandas as pd
from pandas import DataFrame

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
"""


def strategy(body: str = "", *, imports: str = "", module: str = "", name: str = "Strat") -> str:
    """A minimal valid strategy with ``body`` (indented 4) in the class and ``module`` code before it."""
    class_body = textwrap.indent(textwrap.dedent(body), "    ") if body.strip() else ""
    return (
        f"{HEADER}{textwrap.dedent(imports)}\n{textwrap.dedent(module)}\n\n"
        f"class {name}(IStrategy):\n    timeframe = '5m'\n{class_body}\n"
    )


def codes(source: str, filename: str | None = None) -> list[str]:
    return [v.code for v in audit(source, filename).violations]


# --- what must be accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", [None, "SampleStrategy.py"])
def test_freqtrade_sample_strategy_is_accepted(filename: str | None) -> None:
    report = audit((TEMPLATES / "sample_strategy.py").read_text(), filename)
    assert report.ok, report.violations
    assert report.class_name == "SampleStrategy"


@pytest.mark.parametrize("name", ["FreqaiExampleStrategy", "FreqaiExampleHybridStrategy"])
def test_freqai_templates_are_accepted(name: str) -> None:
    """They only use allowed imports; FreqAI's model loading happens inside freqtrade, driven by config."""
    report = audit((TEMPLATES / f"{name}.py").read_text(), f"{name}.py")
    assert report.ok, report.violations


@pytest.mark.parametrize("subtemplate", ["minimal", "full", "advanced"])
def test_freqtrade_new_strategy_output_is_accepted(subtemplate: str, tmp_path: Path) -> None:
    """What ``freqtrade new-strategy --template <subtemplate>`` writes (base_strategy.py.j2 rendered)."""
    name = f"New{subtemplate.title()}"
    deploy_new_strategy(name, tmp_path / f"{name}.py", subtemplate)
    report = audit((tmp_path / f"{name}.py").read_text(), f"{name}.py")
    assert report.ok, report.violations


@pytest.mark.parametrize("path", COMMUNITY, ids=lambda p: p.stem)
def test_community_strategies_are_accepted(path: Path) -> None:
    report = audit(path.read_text(), path.name)
    assert report.ok, report.violations
    assert report.class_name == path.stem


def test_community_corpus_exists() -> None:
    assert len(COMMUNITY) >= 3


@pytest.mark.parametrize("spec", load_examples(), ids=lambda s: s.name)
def test_rendered_example_strategies_are_accepted(spec: StrategySpec) -> None:
    report = audit(render(spec), strategy_filename(spec))
    assert report.ok, report.violations


@pytest.mark.parametrize(
    "snippet",
    [
        "x = getattr(self, 'timeframe', '5m')",
        "setattr(self, 'cache', {})",
        "self._cache = {}",
        "text = dataframe.tail().to_string()",
        "m = dataframe.agg('mean')",
        "r = dataframe['close'].rolling(5).apply(np.mean, raw=True)",
        "label = '{:>8.2f} {0.close}'.format(1.0, dataframe)",
        "same = isinstance(dataframe, pd.DataFrame)",
        "y = dataframe['open'].shift(1)",
        "ok = hasattr(self, 'dp')",
        "from numpy.lib.stride_tricks import sliding_window_view",
        "import scipy.stats as st",
        "import scipy.stats",
        "from scipy import stats",
        "import numpy.linalg",
        "from freqtrade.exchange import timeframe_to_minutes",
        "from freqtrade.strategy.interface import IStrategy as Base",
        "import freqtrade.vendor.qtpylib.indicators as qtpylib",
        "from technical import qtpylib",
        "from collections.abc import Callable",
        "from scipy.optimize import differential_evolution as de\n    de(abs, [(-1, 1)], workers=1)",
        "from scipy.fft import fft\n    y = fft(np.ones(8), workers=None)",
        "frame = dataframe.ta(kind='rsi', length=14)",
        "def g(a: 'pd.DataFrame', b: dict[str, 'Callable[..., Any]']) -> 'list[int] | None':\n        pass",
        "def g(side: Literal['buy-1', -1]) -> Annotated[int, 'any text at all']:\n        pass",
        "level: 'float | None' = None",
        "stake = self.config['stake_amount']\n    stake *= 0.5",
        "frame = self.dp.get_pair_dataframe('BTC/USDT', '5m')\n    frame['x'] = 1",
        "for pair in self.dp.current_whitelist():\n        pass",
    ],
)
def test_benign_constructs_are_accepted(snippet: str) -> None:
    source = strategy(f"def helper(self, dataframe):\n    {snippet}\n    return dataframe\n")
    assert audit(source).ok, audit(source).violations


@pytest.mark.parametrize(
    ("snippet", "code"),
    [
        ("kind = type(dataframe)", "forbidden_call"),
        ("same = isinstance(dataframe, type)", "forbidden_name"),
        ("y = dataframe.open.shift(1)", "forbidden_attribute"),
        ("self.config['datadir'].joinpath('x').write_text('y')", "forbidden_attribute"),
        ("fetch = getattr", "forbidden_name"),
        ("x = getattr(self, '_cache')", "private_attribute"),
        ("reader = getattr(pd, 'read_csv')", "forbidden_attribute"),
        ("text = dataframe.to_string('out.txt')", "forbidden_attribute"),
        ("text = dataframe.to_string(buf='out.txt')", "forbidden_attribute"),
        ("render = dataframe.to_string", "forbidden_attribute"),
        ("balance = self.dp._exchange", "private_attribute"),
        ("x = dict(__builtins__=1)", "dunder_access"),
        ("print(__debug__)", "dunder_access"),
        ("m = dataframe.apply(['mean', 'to_pickle'])", "dynamic_attribute"),
        ("m = dataframe.agg({'close': 'eval'})", "dynamic_attribute"),
        ("m = dataframe.ta(kind='strategy')", "dynamic_attribute"),
        ("arr = np.lib.npyio", "forbidden_attribute"),
        ("handlers = logging.getLogger().handlers", "forbidden_attribute"),
        ("class H:\n        def __getattr__(self, name):\n            return name", "dunder_definition"),
        ("class H(*[object]):\n        pass", "dynamic_base"),
        ("try:\n        pass\n    except Exception as __e__:\n        pass", "dunder_access"),
        ("nonlocal_ = [__x__ for __x__ in range(3)]", "dunder_access"),
        ("from scipy.optimize import brute\n    brute(abs, [(-1, 1)], workers=-1)", "parallel_workers"),
        ("from scipy.optimize import shgo\n    shgo(abs, [(-1, 1)], workers=self.n)", "parallel_workers"),
        ("from sklearn import cluster\n    cluster.KMeans(n_jobs=2)", "parallel_workers"),
        ("options = dict(processes=4)", "parallel_workers"),
        ("from scipy.fft import fft\n    y = fft(np.ones(8), **{'workers': 2})", "parallel_workers"),
        ("kind = 'str' + 'ategy'\n    dataframe.ta(kind=kind)", "dynamic_attribute"),
        ("dataframe.ta(**self.options)", "dynamic_attribute"),
        ("def g(a: \"print('ran') or str\"):\n        pass", "annotation_code"),
        ("def g(a) -> list[print('ran')]:\n        pass", "annotation_code"),
        ("level: 'lambda: 0' = None", "annotation_code"),
        ("def g(a: 'pd._libs'):\n        pass", "annotation_code"),
        ("settings = self.config\n    settings |= {'fee': 0}", "shared_write"),
        ("dict.update(self.config, fee=0)", "shared_write"),
        ("held = [self.config]\n    held[0]['fee'] = 0", "shared_write"),
        ("for c in [self.config]:\n        c['fee'] = 0", "shared_write"),
        ("c = getattr(self, 'config')\n    c['fee'] = 0", "shared_write"),
        ("for part in self.config.values():\n        part.clear()", "shared_write"),
    ],
)
def test_hostile_constructs_are_rejected(snippet: str, code: str) -> None:
    source = strategy(f"def helper(self, dataframe):\n    {snippet}\n    return dataframe\n")
    assert code in codes(source)


def test_super_dunder_is_allowed_only_for_the_enclosing_method() -> None:
    ok = strategy("def __init__(self, config):\n    super().__init__(config)\n")
    assert audit(ok).ok
    wrong_method = strategy("def bot_start(self, **kwargs):\n    super().__init__({})\n")
    assert codes(wrong_method) == ["dunder_access"]


def test_getlogger_name_exception_is_narrow() -> None:
    assert audit(strategy(module="logger = logging.getLogger(__name__)")).ok
    from_import = strategy(imports="from logging import getLogger", module="log = getLogger(__name__)")
    assert audit(from_import).ok
    assert codes(strategy(module="print(__name__)")) == ["dunder_access"]
    assert codes(strategy(module="logger = logging.getLogger(__name__ + '.x')")) == ["dunder_access"]
    assert codes(strategy(module="logger = np.getLogger(__name__)")) == ["dunder_access"]


# --- the __qualname__ marker -----------------------------------------------------------------------------

CALLBACK = "def {name}(self, *args, **kwargs):\n    return None\n"


@pytest.mark.parametrize("callback", sorted(TRADE_CALLBACKS))
def test_qualname_marker_is_accepted_for_trade_callbacks(callback: str) -> None:
    body = CALLBACK.format(name=callback) + f'{callback}.__qualname__ = "IStrategy.{callback}"\n'
    report = audit(strategy(body))
    assert report.ok, report.violations


SL = CALLBACK.format(name="custom_stoploss")
MARK = 'custom_stoploss.__qualname__ = "IStrategy.custom_stoploss"'
NEAR_MISSES = {
    "wrong-value": (SL + 'custom_stoploss.__qualname__ = "IStrategy.custom_exit"', ""),
    "value-with-space": (SL + MARK[:-1] + ' "', ""),
    "not-a-callback": (
        CALLBACK.format(name="populate_indicators")
        + 'populate_indicators.__qualname__ = "IStrategy.populate_indicators"',
        "",
    ),
    "before-def": (MARK + "\n" + SL, ""),
    "augassign": (SL + 'custom_stoploss.__qualname__ += ""', ""),
    "annassign": (SL + MARK.replace(" =", ": str ="), ""),
    "two-targets": (SL + "x = " + MARK, ""),
    "fstring-value": (SL + 'custom_stoploss.__qualname__ = f"IStrategy.{1}"', ""),
    "rebound-after-def": (SL + "custom_stoploss = print\n" + MARK, ""),
    "in-method": ("def custom_stoploss(self, *a, **k):\n    self." + MARK + "\n", ""),
    "module-level": ("", "def custom_stoploss():\n    pass\n" + MARK),
    "helper-class": ("", "class Helper:\n    def custom_stoploss(self):\n        pass\n    " + MARK),
    "read": (SL + "name = custom_stoploss.__qualname__", ""),
}


@pytest.mark.parametrize(("body", "module"), NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_qualname_near_misses_are_rejected(body: str, module: str) -> None:
    assert "forbidden_qualname" in codes(strategy(body, module=module))


# --- imports ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "import scipy",
        "import freqtrade.strategy",
        "from freqtrade import strategy",
        "from freqtrade.exchange import Binance",
        "from freqtrade.persistence import init_db",
        "import pandas.io.parsers as parsers",
        "from pandas import read_pickle",
        "from numpy.lib import format",
        "import numpy._core as core",
        "import logging.handlers",
        "from pandas_ta.custom import import_dir",
        "import pandas_ta.custom as custom",
        "from typing import get_type_hints",
        "import numpy as __np__",
    ],
)
def test_imports_outside_the_allow_list_are_rejected(line: str) -> None:
    found = codes(strategy(imports=line))
    assert found and set(found) <= {"forbidden_import", "dunder_access"}, found


# --- strategy class rules --------------------------------------------------------------------------------


def test_aliased_istrategy_is_recognised_and_name_checked() -> None:
    aliased = strategy(imports="from freqtrade.strategy import IStrategy as Base")
    source = aliased.replace("(IStrategy)", "(Base)")
    assert audit(source, "Strat.py").class_name == "Strat"
    assert codes(source, "user_data/strategies/Other.py") == ["class_name_mismatch"]


def test_indirect_subclass_counts_as_a_second_strategy() -> None:
    source = strategy() + "\n\nclass Child(Strat):\n    pass\n"
    report = audit(source)
    assert [v.code for v in report.violations] == ["strategy_class_count"]
    assert report.violations[0].line == source.splitlines().index("class Child(Strat):") + 1
    assert report.class_name is None


def test_helper_classes_are_fine() -> None:
    source = strategy(module="class Helper:\n    def __init__(self):\n        self.x = 1\n")
    assert audit(source).ok


# --- report shape ----------------------------------------------------------------------------------------


def test_report_is_sorted_positioned_and_json_able() -> None:
    source = strategy("def f(self):\n    return eval('1') + open('x')\n", imports="import os")
    report = audit(source, "Strat.py")
    lines = source.splitlines()
    assert [(v.line, v.code) for v in report.violations] == [
        (lines.index("import os") + 1, "forbidden_import"),
        (lines.index("        return eval('1') + open('x')") + 1, "forbidden_call"),
        (lines.index("        return eval('1') + open('x')") + 1, "forbidden_call"),
    ]
    assert [v.col for v in report.violations[1:]] == [15, 27]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["class_name"] == "Strat" and data["filename"] == "Strat.py"
    assert data["violations"][0] == report.violations[0].model_dump()


def test_report_and_violation_are_frozen() -> None:
    report = audit(strategy())
    assert isinstance(report, AuditReport) and report.ok
    with pytest.raises(ValueError):
        report.class_name = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Violation(line=1, col=0, code="x", message="y").line = 2  # type: ignore[misc]


def test_require_clean_raises_with_a_summary_and_details() -> None:
    body = "".join(f"def f{i}(self):\n    return eval('{i}')\n" for i in range(5))
    source = strategy(body)
    with pytest.raises(AuditFailedError) as caught:
        require_clean(source, "Strat.py")
    error = caught.value
    first = audit(source).violations[0]
    expected_start = f"audit rejected Strat.py: line {first.line} forbidden_call: call of 'eval'"
    assert error.message.startswith(expected_start)
    assert error.message.endswith("(+2 more)")
    assert error.details == audit(source, "Strat.py").to_dict()
    assert error.code == "audit_failed"
    assert require_clean(strategy(), "Strat.py").ok


# --- robustness ------------------------------------------------------------------------------------------


def test_syntax_error_is_one_violation_with_its_line() -> None:
    report = audit("x = 1\n\ndef broken(:\n    pass\n")
    assert [(v.line, v.code) for v in report.violations] == [(3, "syntax_error")]


def test_oversize_source_is_rejected_before_parsing() -> None:
    source = strategy() + "#" * MAX_SOURCE_BYTES
    assert [(v.line, v.code) for v in audit(source).violations] == [(1, "source_too_large")]


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "-" * 50_000 + "1\n",
        "x = " + "1 + " * 40_000 + "1\n",
        "x = " + "(" * 250 + "1" + ")" * 250 + "\n",
        "x = " + "[" * (MAX_AST_DEPTH + 5) + "]" * (MAX_AST_DEPTH + 5) + "\n",
        "x = '" + "{0:" * 5000 + "}" * 5000 + "_'\n",
        "x = 1\0",
        "x = '\ud800'",
    ],
    ids=["unary-chain", "binop-chain", "parens", "lists", "format-specs", "null-byte", "lone-surrogate"],
)
def test_pathological_sources_yield_a_report(source: str) -> None:
    report = audit(source)
    assert not report.ok
    assert report.violations[0].code in {"syntax_error", "nesting_too_deep", "strategy_class_count"}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_audit_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(audit(text), AuditReport)


PYTHON_TOKENS = [
    *"()[]{}.:=,+-*@",
    " ",
    "\n",
    "    ",
    "'x'",
    '"{0.__class__}"',
    "__class__",
    "eval",
    "open",
    "getattr",
    "import ",
    "from ",
    "os",
    "def f(self):",
    "class X(IStrategy):",
    "lambda: ",
    "x",
    "1",
    "IStrategy",
    "__qualname__",
    "global ",
    "match x:",
    "case ",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PYTHON_TOKENS), max_size=40).map("".join))
def test_audit_never_raises_on_python_like_text(text: str) -> None:
    assert isinstance(audit(HEADER + text, "X.py"), AuditReport)


def test_audit_never_imports_or_executes_the_source(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    source = strategy(
        module=f"""
        with open({str(marker)!r}, "w") as handle:
            handle.write("ran")
        raise SystemExit("executed at import")
        """,
        name="NeverRun",
    )
    modules_before = set(sys.modules)
    report = audit(source, "NeverRun.py")
    assert "forbidden_call" in [v.code for v in report.violations]
    assert not marker.exists()
    assert not {m for m in set(sys.modules) - modules_before if "NeverRun" in m}


def test_clean_source_with_side_effects_is_audited_not_run(tmp_path: Path) -> None:
    """A source that only fails when *run* is judged on its text alone."""
    source = strategy(module="raise SystemExit('executed at import')", name="Quiet")
    assert audit(source, "Quiet.py").ok


@pytest.mark.parametrize(
    ("module", "call", "refused"),
    [
        ("def how(x):\n    return x\n", "dataframe.apply(how)", False),
        ("HOW = ('mean', 'max')\n", "dataframe.agg(HOW)", False),
        (
            "def swap(_f):\n    return 'to_pickle'\n\n\n@swap\ndef how(x):\n    return x\n",
            "dataframe.apply(how)",
            True,
        ),
        ("HOW = ('mean',)\n\n\nclass HOW:\n    pass\n", "dataframe.agg(HOW)", True),
        ("HOW = ('mean',)\n\n\ndef HOW():\n    return None\n", "dataframe.agg(HOW)", True),
        ("from numpy import mean as how\n\n\ndef how(x):\n    return x\n", "dataframe.apply(how)", True),
    ],
)
def test_a_name_a_def_class_or_import_also_binds_is_neither_a_constant_nor_a_known_function(
    module: str, call: str, refused: bool
) -> None:
    """A decorator may return anything (a string naming a method included), and a second binding of a
    "constant" replaces it: what a dispatch method receives is then not what the audit read."""
    body = f"def helper(self, dataframe):\n    {call}\n    return dataframe\n"
    found = codes(strategy(body, module=module))
    assert ("dynamic_attribute" in found) is refused, found
