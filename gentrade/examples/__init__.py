"""Bundled example specs: a person's starting points and the quickstart's workload."""

from __future__ import annotations

from importlib import resources

from gentrade.spec import StrategySpec, load_document, parse_spec


def example_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml") for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml")
    )


def load_example(name: str) -> StrategySpec:
    """The example spec `name` (file stem, e.g. 'trend_following')."""
    with resources.as_file(resources.files(__name__).joinpath(f"{name}.yaml")) as path:
        return parse_spec(load_document(path))


def load_examples() -> list[StrategySpec]:
    return [load_example(name) for name in example_names()]
