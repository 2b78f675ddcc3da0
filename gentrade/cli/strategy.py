"""`gentrade strategy render|audit|spec|example`: the spec ↔ source tools for people and scripts."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from gentrade.cli.errors import cli_errors
from gentrade.codegen import embedded_spec
from gentrade.errors import AuditFailedError, SpecValidationError
from gentrade.examples import example_names, load_example
from gentrade.safety import audit
from gentrade.settings import get_settings
from gentrade.spec import load_spec

strategy_app = typer.Typer(help="Render, audit and inspect strategies.", no_args_is_help=True)
console = Console()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecValidationError(f"cannot read {path}: {exc.strerror}") from None


@strategy_app.command("render")
@cli_errors
def render_command(
    spec_file: Path = typer.Argument(..., help="Strategy spec, JSON or YAML."),
    out_dir: Path | None = typer.Option(None, "-o", "--out-dir", help="Default: <user_dir>/strategies."),
) -> None:
    """Render SPEC into <Name>.py (written only if the audit passes)."""
    from gentrade.services.strategy_saving import build_strategy

    built = build_strategy(load_spec(spec_file), out_dir or get_settings().user_dir / "strategies")
    console.print(f"wrote {built.path} (audit passed)", highlight=False)


@strategy_app.command("audit")
@cli_errors
def audit_command(
    file: Path = typer.Argument(..., help="Strategy source file."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Statically audit a strategy file without importing it; exit 1 if it is rejected."""
    report = audit(_read(file), filename=file.name)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for violation in report.violations:
            # One unwrapped line per violation, in the file:line:col form editors jump to.
            typer.echo(f"{file}:{violation.line}:{violation.col}: {violation.code}: {violation.message}")
    if not report.ok:
        raise AuditFailedError(report.summary(), details=report.to_dict())
    if not as_json:
        console.print(f"{file}: audit passed ({report.class_name})", highlight=False)


@strategy_app.command("spec")
@cli_errors
def spec_command(file: Path = typer.Argument(..., help="A strategy rendered by GenTrade.")) -> None:
    """Print the spec embedded in a rendered strategy (canonical JSON)."""
    typer.echo(embedded_spec(_read(file)).model_dump_json(indent=2))


@strategy_app.command("example")
@cli_errors
def example_command(name: str = typer.Argument(None, help="Example to print; omit to list them.")) -> None:
    """List the bundled example specs, or print one as JSON to start a spec of your own."""
    if name is None:
        for known in example_names():
            typer.echo(known)
        return
    if name not in example_names():
        raise SpecValidationError(f"no example '{name}' (known: {', '.join(example_names())})")
    typer.echo(load_example(name).model_dump_json(indent=2, exclude_none=True))


def register(app: typer.Typer) -> None:
    app.add_typer(strategy_app, name="strategy")
