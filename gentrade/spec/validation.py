"""Parse specs and signals from people's files and producers' dicts, with errors that name the field path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gentrade.errors import SpecValidationError

M = TypeVar("M", bound=BaseModel)

# Discriminator tags pydantic inserts into error locations; they are not field names.
_UNION_TAGS = {
    "compare",
    "const",
    "price",
    "indicator",
    "percent",
    "atr",
    "r",
    "all",
    "any",
    "rsi",
    "ema",
    "sma",
    "macd",
    "bbands",
    "adx",
    "stoch",
    "mfi",
    "cci",
    "obv",
    "donchian",
    "volume_sma",
    "StoplossGuard",
    "MaxDrawdown",
    "CooldownPeriod",
    "LowProfitPairs",
}
_TAGGED_PARENTS = {
    "entry_long",
    "exit_long",
    "entry_short",
    "exit_short",
    "left",
    "right",
    "initial",
    "target",
    "distance",
    "indicators",
}


def format_path(loc: tuple[int | str, ...]) -> str:
    """('take_profit', 2, 'fraction') → 'take_profit[2].fraction', dropping union tags."""
    parts: list[str] = []
    previous: int | str | None = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(item, str) and item in _UNION_TAGS and _is_tag_position(previous):
            pass
        elif not (
            isinstance(item, str) and (item.startswith("function-") or item.startswith("tagged-union"))
        ):
            parts.append(f".{item}" if parts else str(item))
        previous = item
    return "".join(parts)


def _is_tag_position(previous: int | str | None) -> bool:
    return isinstance(previous, int) or previous in _TAGGED_PARENTS


def error_list(exc: ValidationError) -> list[dict[str, str]]:
    """Every problem as {"path", "message"}; a model-level check writes 'path: message' to name its field."""
    problems: list[dict[str, str]] = []
    for error in exc.errors(include_url=False):
        path = format_path(tuple(error["loc"]))
        if error["type"] == "union_tag_invalid":
            path = f"{path}.{str(error['ctx']['discriminator']).strip(chr(39))}"
        message = str(error["msg"]).removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and head and " " not in head:
            path = f"{path}.{head}" if path else head
            message = rest
        problems.append({"path": path or "(root)", "message": message})
    return problems


def validate_model(model: type[M], data: Any, *, what: str = "spec") -> M:
    """Validate a dict (or JSON text) into `model`, raising SpecValidationError naming every bad field."""
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        problems = error_list(exc)
        summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SpecValidationError(f"invalid {what}: {summary}{more}", details=problems) from None


def load_document(path: Path) -> Any:
    """Read a JSON or YAML file into plain data, with a clear error for unreadable or malformed files."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecValidationError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            return yaml.safe_load(text)
        return json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecValidationError(
            f"{path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}"
        ) from None
