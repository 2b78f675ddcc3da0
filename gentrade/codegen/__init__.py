"""spec → strategy source (IStrategy v3) and back."""

from gentrade.codegen.parse import embedded_spec
from gentrade.codegen.render import RENDERER_VERSION, render, strategy_filename

__all__ = ["RENDERER_VERSION", "embedded_spec", "render", "strategy_filename"]
