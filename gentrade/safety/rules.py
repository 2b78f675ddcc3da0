"""Single-name rules shared by every check: which attribute names and which modules are out of bounds."""

from __future__ import annotations

import re

from gentrade.safety import names, policy

DUNDER = re.compile(r"^__\w+__$")


def attribute_problem(name: str) -> tuple[str, str] | None:
    """(code, message) when ``name`` may not be reached as an attribute, whatever the receiver."""
    if DUNDER.match(name):
        return "dunder_access", f"dunder attribute '{name}' is not allowed"
    if name.startswith("_"):
        return "private_attribute", f"private attribute '{name}' is only allowed on self/cls"
    reason = policy.FORBIDDEN_ATTRIBUTES.get(name)
    if reason is None and name in policy.BUFFER_WRITERS:
        reason = "writes to a buffer; only a bare call without arguments is allowed"
    for prefix, prefix_reason in policy.FORBIDDEN_ATTRIBUTE_PREFIXES.items():
        if reason is None and name.startswith(prefix):
            reason = prefix_reason
    known_to = names.SAFE_TO_METHODS | policy.BUFFER_WRITERS
    if reason is None and name.startswith("to_") and name not in known_to:
        reason = "not an in-memory to_* conversion; the others write files or load I/O libraries"
    if reason is not None:
        return "forbidden_attribute", f"attribute '{name}' is not allowed ({reason})"
    return None


def module_problem(module: str) -> str | None:
    """Why ``module`` may not be imported as a module object, or None when it may."""
    parts = module.split(".")
    if any(part.startswith("_") for part in parts) and module != "__future__":
        return f"import of private module '{module}' is not allowed"
    if module in policy.RESTRICTED_MODULES:
        return f"import names from '{module}' with 'from {module} import ...' instead of the module itself"
    prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    if any(prefix in policy.DENIED_MODULE_TREES for prefix in prefixes):
        return f"import of '{module}' is not allowed"
    if module in policy.ALLOWED_MODULES_EXACT or any(p in policy.ALLOWED_MODULE_TREES for p in prefixes):
        return None
    return f"import of '{module}' is not allowed"
