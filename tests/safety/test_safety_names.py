"""The name-level rules of the audit: allow-listed module names, submodule chains, call shapes and the
community idioms that must keep passing (``import scipy.signal``, ``__author__``, ``getattr`` over a list)."""

from __future__ import annotations

import importlib
import textwrap
import types

import pytest

from gentrade.safety import audit
from gentrade.safety.modules import is_submodule
from gentrade.safety.names import MODULE_NAMES

HEADER = """\
import logging
import math
from functools import reduce

import numpy as np
import pandas as pd
import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy
"""


def source(body: str, *, module: str = "") -> str:
    method = textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
    return (
        f"{HEADER}\n{textwrap.dedent(module)}\n\nclass Strat(IStrategy):\n    timeframe = '5m'\n\n"
        "    def row_score(self, row) -> int:\n        return 1\n\n"
        f"    def helper(self, dataframe: DataFrame) -> DataFrame:\n{method}\n        return dataframe\n"
    )


def codes(text: str) -> list[str]:
    return [v.code for v in audit(text).violations]


@pytest.mark.parametrize(
    ("body", "module"),
    [
        ("logger = logging.getLogger(__name__)\nlogger.setLevel(logging.INFO)", ""),
        ("x = math.sqrt(2) + math.pi", ""),
        ("total = reduce(lambda a, b: a & b, [dataframe['close'] > 0])", ""),
        ("peaks = scipy.signal.argrelextrema(dataframe['close'].values, np.greater)", "import scipy.signal"),
        ("r = scipy.stats.linregress([1, 2], [3, 4])", "import scipy.stats"),
        ("w = np.lib.stride_tricks.sliding_window_view(dataframe['close'].values, 3)", ""),
        ("x = np.random.default_rng(1).normal()", ""),
        ("is_num = pd.api.types.is_numeric_dtype(dataframe['close'])", ""),
        (
            "pass",
            '__author__ = "someone"\n__version__ = "1.0"\n__credits__ = ["a", "b"]\n__BTC_donation__ = "3F"',
        ),
        ("for name in ['RSI', 'EMA']:\n    dataframe[name] = getattr(ta, name)(dataframe)", ""),
        ("cols = {n: getattr(ta, n)(dataframe) for n in ('RSI', 'MFI')}", ""),
        (
            "for name in INDICATORS:\n    dataframe[name] = getattr(ta, name)(dataframe)",
            "INDICATORS = ['RSI', 'CCI']",
        ),
        (
            "o = dataframe.resample('1h').agg(OHLC)",
            "OHLC = {'open': 'first', 'close': 'last', 'volume': 'sum'}",
        ),
        ("m = dataframe['close'].rolling(3).apply(lambda s: s.mean(), raw=True)", ""),
        ("m = dataframe['close'].rolling(3).apply(np.nanmean)", ""),
        ("m = dataframe['close'].rolling(3).apply(helper_fn)", "def helper_fn(s):\n    return s.sum()"),
        ("m = dataframe.apply(self.row_score, axis=1)", ""),
        ("m = dataframe.groupby('x')['close'].transform('max')", ""),
        ("dataframe = dataframe.rename(columns={'close': 'c'})", ""),
        ("s = dataframe['close'].rename('price')", ""),
        ("dataframe = dataframe.replace([np.inf, -np.inf], np.nan)", ""),
        ("label = 'a-b'.replace('-', '_')", ""),
        ("pd.set_option('display.max_columns', None)", ""),
        ("values = dataframe['close'].to_numpy()\nstamp = pd.to_datetime(dataframe['date'])", ""),
        ("x = self._cache", ""),
        (
            "x = preprocessing.MinMaxScaler().fit_transform(dataframe[['close']])",
            "from sklearn import preprocessing",
        ),
        (
            "for pr in talib.get_function_groups()['Pattern Recognition']:\n    getattr(ta, pr)(dataframe)",
            "import talib",
        ),
        ("for fn in sorted(ta.get_functions()):\n    getattr(ta, fn)", ""),
    ],
)
def test_idioms_are_accepted(body: str, module: str) -> None:
    report = audit(source(body, module=module))
    assert report.ok, report.violations


@pytest.mark.parametrize(
    ("body", "module", "code"),
    [
        ("logging.config.BaseConfigurator({}).resolve('os.system')('id')", "", "module_attribute"),
        ("h = logging.handlers", "", "module_attribute"),
        ("s = logging.sys", "", "module_attribute"),
        ("x = math.sys", "", "module_attribute"),
        ("lg = logging", "", "module_reference"),
        ("f = reduce(lambda a, b: getattr(a, b), ['config'], logging)", "", "module_reference"),
        ("r = scipy.io.loadmat('x')", "import scipy.signal", "module_attribute"),
        ("r = scipy.stats.norm", "import scipy.signal", "module_attribute"),
        ("r = scipy", "import scipy.signal", "module_reference"),
        ("r = sklearn.datasets.fetch_openml('x')", "import sklearn.preprocessing", "module_attribute"),
        ("x = pd.core.config_init", "", "module_attribute"),
        ("x = np.lib.format", "", "module_attribute"),
        ("p = self.config['user_data_dir'].joinpath('/tmp/x')\np.rename('/tmp/y')", "", "forbidden_call"),
        ("self.config['datadir'].replace(self.config['user_data_dir'])", "", "forbidden_call"),
        ("self.config['datadir'].rename(target='x')", "", "forbidden_call"),
        ("move = self.config['datadir'].rename", "", "dynamic_attribute"),
        ("self.config['datadir'].link_to('/tmp/x')", "", "forbidden_attribute"),
        ("dataframe.to_iceberg('t')", "", "forbidden_attribute"),
        ("dataframe.to_xarray()", "", "forbidden_attribute"),
        ("dataframe.apply(''.join(['to', '_csv']), args=('/tmp/x',))", "", "dynamic_attribute"),
        ("dataframe.agg(*['to_csv', '/tmp/x'])", "", "dynamic_attribute"),
        ("how = 'to' + '_csv'\ndataframe.transform(how)", "", "dynamic_attribute"),
        ("dataframe.pipe(self.config['x'])", "", "dynamic_attribute"),
        ("dataframe.agg('sum' if dataframe.empty else 'to_pickle')", "", "dynamic_attribute"),
        ("apply = dataframe.apply", "", "dynamic_attribute"),
        ("for name in ['RSI', 'to_csv']:\n    getattr(dataframe, name)", "", "forbidden_attribute"),
        ("for name in ['RSI', '_x']:\n    getattr(ta, name)", "", "private_attribute"),
        ("for name in ['RSI']:\n    name = name + '_'\n    getattr(ta, name)", "", "dynamic_attribute"),
        (
            "for name in NAMES:\n    getattr(ta, name)\nNAMES.append('to_csv')",
            "NAMES = ['RSI']",
            "dynamic_attribute",
        ),
        (
            "for name in ['RSI']:\n    [(name := 'to_csv') for _ in [0]]\n    getattr(ta, name)",
            "",
            "dynamic_attribute",
        ),
        (
            "for name in ['RSI']:\n    getattr(ta, name)\nfor name, _ in {}.items():\n    pass",
            "",
            "dynamic_attribute",
        ),
        (
            "for name in NAMES:\n    getattr(ta, name)\nlist.append(NAMES, 'to_csv')",
            "NAMES = ['RSI']",
            "dynamic_attribute",
        ),
        ("for name in NAMES:\n    getattr(ta, name)\nx = [NAMES]", "NAMES = ['RSI']", "dynamic_attribute"),
        ("for fn in ta.get_functions() + ['to_csv']:\n    getattr(dataframe, fn)", "", "dynamic_attribute"),
        ("for fn in ta.get_functions():\n    getattr(dataframe, fn)\nfn = 'to_csv'", "", "dynamic_attribute"),
        ("pd.set_option('plotting.backend', 'antigravity')", "", "forbidden_call"),
        ("pd.set_option('back' + 'end', 'antigravity')", "", "forbidden_call"),
        ("cls = self.dp\nx = cls._exchange", "", "private_attribute"),
        ("self = self.dp\nx = self._exchange", "", "private_attribute"),
        ("x = (lambda self: self._exchange)(self.dp)", "", "private_attribute"),
        ("x = 1", "__author__ = some_function()", "dunder_access"),
        ("x = 1", "__builtins__ = 'x'", "dunder_access"),
        ("x = 1", "__getattr__ = 'x'", "dunder_access"),
        ("fh = open", "", "forbidden_name"),
    ],
)
def test_attacks_are_rejected(body: str, module: str, code: str) -> None:
    assert code in codes(source(body, module=module))


def test_every_violation_of_a_file_is_reported_with_its_line() -> None:
    text = source("h = logging.config\ndataframe.to_feather('x')\nlg = logging")
    lines = {v.line: v.code for v in audit(text).violations}
    helper = text.splitlines().index("        h = logging.config") + 1
    assert lines == {
        helper: "module_attribute",
        helper + 1: "forbidden_attribute",
        helper + 2: "module_reference",
    }


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        ("logging.config", True),
        ("scipy.io", True),
        ("pandas.core.config_init", True),
        ("numpy.mean", False),
        ("logging.getLogger", False),
        ("not_a_package.x", False),
    ],
)
def test_submodules_are_found_on_disk(dotted: str, expected: bool) -> None:
    assert is_submodule(dotted) is expected


@pytest.mark.parametrize("module", sorted(MODULE_NAMES))
def test_allow_listed_names_exist_and_are_not_modules(module: str) -> None:
    """A typo would silently refuse a real name; a module among the names would reopen ``logging.config``."""
    imported = importlib.import_module(module)
    values = {name: getattr(imported, name, None) for name in MODULE_NAMES[module]}
    assert [name for name in MODULE_NAMES[module] if not hasattr(imported, name)] == []
    assert {n for n, v in values.items() if isinstance(v, types.ModuleType)} <= {"abc"}
