"""Every problem of a spec in one answer.

pydantic stops short twice: a model check (``mode="after"``) runs only once every field is valid, and a
check that raises ends the model's checking. So a bad name hid an entry rule naming an undeclared
indicator, which hid a ladder that does not sum to 100 %: three rounds of fix-and-resubmit. Here the model
checks run one by one, each reporting its own problem, and when only fields no model check reads are bad
(a name, the pairs), the model checks also run on a probe with stand-ins for those fields, so their
problems are listed with the field errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

STAND_INS: dict[str, Any] = {"name": "Probe", "pairs": ["BTC/USDT"], "timeframe": "5m"}
"""Valid values for the required fields that no model check reads; the others have defaults."""
INDEPENDENT = frozenset(
    {"schema_version", "name", "description", "timeframe", "pairs", "minimal_roi", "max_candles_in_trade"}
)
"""Top-level fields no model check reads, so a probe without them finds the same model problems."""


def run_all(title: str, checks: Iterable[Callable[[], None]]) -> None:
    """Run every check; raise one ``ValidationError`` with each one's ``'path: message'`` problem."""
    problems: list[str] = []
    for check in checks:
        try:
            check()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValidationError.from_exception_data(title, [_model_problem(p) for p in problems])


def _model_problem(problem: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("value_error", "{problem}", {"problem": problem}), loc=(), input=None
    )


def _again(error: ErrorDetails) -> InitErrorDetails:
    """A reported error as it was raised, so the combined error reads exactly like the original (a
    ``value_error`` keeps its message: its context holds the exception, which cannot be raised again)."""
    if error["type"] == "value_error":
        custom = PydanticCustomError("value_error", "{problem}", {"problem": error["msg"]})
        return InitErrorDetails(type=custom, loc=error["loc"], input=error["input"])
    details = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def with_model_problems(data: Any, handler: Callable[[Any], Any], title: str) -> Any:
    """``handler(data)``; when it fails on independent fields only, the model checks' problems too."""
    try:
        return handler(data)
    except ValidationError as exc:
        errors = exc.errors()
        failed = {error["loc"][0] for error in errors if error["loc"]}
        if not isinstance(data, dict) or len(failed) < len(errors) or not failed <= INDEPENDENT:
            raise
        probe = {k: v for k, v in data.items() if k not in failed} | {
            k: STAND_INS[k] for k in failed if k in STAND_INS
        }
        try:
            handler(probe)
        except ValidationError as probed:
            more = [error for error in probed.errors() if not error["loc"]]
            if more:
                raise ValidationError.from_exception_data(
                    title, [_again(error) for error in [*errors, *more]]
                ) from None
        raise
