"""`python -m platformctl ...`: the app, its commands by area, and how a failure ends.

The commands live in `platformctl/commands/`, one module per area, each a typer app merged
into this one (`add_typer` without a name: its commands sit at the top level). Start-up
stays cheap: these modules import typer and the standard library only; each command
imports what it needs (Pulumi, the settings, boto3, moto) inside its body, so `--help` and
the usage errors never pay for them. Add a command as the ones there do (see docs/cli.md).

Every failure the operator can cause (unknown stack, invalid config, bad arguments) ends
with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from .commands import bluegreen, deployed, local, plans
from .common import CommandError

app = typer.Typer(
    name="platformctl",
    help="Operate cloud-platform stacks: offline plan, blue/green cutover, status, checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# In the order `--help` lists them: the offline plan, releases, this machine, a deployed stack.
for area in (plans, bluegreen, local, deployed):
    app.add_typer(area.app)


# typer re-exports only BadParameter from its click exceptions; the base class of every usage
# error (what click itself prints as "Usage: ... Error: ...") is found from it, not by a
# private import that would break with typer's next vendoring.
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
# Loaded only by the commands that can raise them: looked up in sys.modules, never imported here.
_CONFIG_ERRORS = {"offline.stacks": "StackError", "components.settings.base": "SettingsError"}
# A plan AWS or the provider would refuse (name too long, bad tag, ...): exit 1 like a failed preview.
_PLAN_ERRORS = {"offline.provider_rules": "PlanRejectedError"}


def _config_error(exc: Exception, errors: dict[str, str] = _CONFIG_ERRORS) -> bool:
    types = tuple(getattr(sys.modules[m], n) for m, n in errors.items() if m in sys.modules)
    return isinstance(exc, types)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        # Bare `platformctl`: the help, as a usage error (exit 2).
        app(args=["--help"], standalone_mode=False)
        sys.exit(2)
    try:
        code = app(args=args, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        if isinstance(exc, _USAGE_ERROR):
            # Usage errors: one line naming what is wrong, instead of click's usage block.
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(2)
        if _config_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        if _config_error(exc, _PLAN_ERRORS):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)
        raise
