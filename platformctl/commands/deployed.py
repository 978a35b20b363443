"""Probes of a deployed stack (its outputs from `pulumi stack output --json`): smoke, latency,
peering-check, backup verify."""

from enum import StrEnum
from typing import Annotated

import typer

from ..common import CommandError, Stack, StackOutputsFile

app = typer.Typer()



@app.command()
def smoke(
    stack: Stack,
    outputs: StackOutputsFile = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds a probe may take.")] = 60.0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Skip the site probe in Chromium.")] = False,
) -> None:
    """Probe a deployed stack: web colours, container, API + CORS, site in Chromium, worker. Exit 1 on any failure."""
    from offline.stacks import stack_file

    from .. import smoke as probes
    from ..prerequisites import PrerequisiteError, pulumi_stack_outputs

    stack_file(stack)  # an unknown stack is a usage error before any request
    try:
        values = probes.read_outputs(outputs) if outputs else pulumi_stack_outputs(stack)
    except (probes.SmokeError, PrerequisiteError) as exc:
        raise CommandError(str(exc)) from None
    results = probes.run(values, timeout=timeout, browser=not no_browser, emit=typer.echo)
    failed = [r.probe for r in results if r.status == "FAIL"]
    if failed:
        raise CommandError(f"smoke {stack}: {len(failed)} of {len(results)} probes failed ({', '.join(failed)})")
    typer.echo(f"smoke {stack}: {sum(r.status == 'ok' for r in results)} probes ok, "
               f"{sum(r.status == 'skip' for r in results)} skipped")



class LatencyPath(StrEnum):
    direct_invoke = "direct-invoke"
    api_gateway = "api-gateway"
    sns_sqs_worker = "sns-sqs-worker"
    step_functions = "step-functions"


@app.command()
def latency(
    stack: Stack,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, max=1000, help="Runs per path.")] = 10,
    outputs: StackOutputsFile = None,
    path: Annotated[list[LatencyPath] | None, typer.Option(
        "--path", "-p", help="Only these paths (repeatable).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one run may take.")] = 60.0,
) -> None:
    """Time direct Lambda invoke vs API Gateway vs SNS->SQS->worker vs Step Functions on a deployed stack."""
    from offline.stacks import stack_file

    from .. import latency as lab
    from ..stack_outputs import OutputsError, stack_outputs

    stack_file(stack)  # an unknown stack is a usage error before any AWS call
    try:
        values = stack_outputs(stack, outputs)
        only = [p.value for p in path] if path else list(lab.PATHS)
        results = lab.run_lab(values, runs, clients=lab.boto3_clients, timeout=timeout, only=only)
    except (lab.LatencyError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    typer.echo(lab.render(stack, runs, results))
    measured = [r for r in results if not r.skipped]
    if measured and not any(r.samples for r in measured):
        raise CommandError("no run succeeded on any path (see the errors above)")



@app.command("peering-check")
def peering_check(
    stack: Stack,
    outputs: StackOutputsFile = None,
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, max=50, help="TCP connects per endpoint.")] = 10,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=5, help="Seconds one connect may take.")] = 2.0,
) -> None:
    """Check every hop of the cross-region peering and time TCP connects from the peer VPC's probe to home."""
    from botocore.exceptions import BotoCoreError, ClientError

    from offline.stacks import stack_file

    from .. import peering_check as check
    from ..latency import boto3_clients
    from ..stack_outputs import OutputsError, stack_outputs

    stack_file(stack)
    try:
        report = check.run(stack_outputs(stack, outputs).get("peeringCheck"), boto3_clients, samples, timeout)
    except check.HopFailedError as exc:
        raise CommandError(f"peering-check failed at {exc}") from None
    except (check.PeeringCheckError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise CommandError(f"AWS call failed: {str(exc).splitlines()[0]}") from None
    typer.echo("\n".join(report.lines))


backup_app = typer.Typer(help="AWS Backup of a deployed stack: verify its recovery points.", no_args_is_help=True)
app.add_typer(backup_app, name="backup")


@backup_app.command("verify")
def backup_verify(
    stack: Stack,
    outputs: StackOutputsFile = None,
    margin_hours: Annotated[float | None, typer.Option(
        "--margin-hours", min=0, help="Slack on top of the plan's interval (default: its start + completion windows).")] = None,
) -> None:
    """Every resource compliance says must be backed up has a recovery point younger than the plan's interval + margin."""
    from datetime import UTC, datetime, timedelta

    from botocore.exceptions import BotoCoreError, ClientError

    from components.settings import parse_settings
    from offline.stacks import stack_config

    from .. import backup_verify as bv
    from ..latency import boto3_clients
    from ..stack_outputs import OutputsError, stack_outputs

    settings = parse_settings(stack_config(stack), stack=stack)
    margin = timedelta(hours=margin_hours) if margin_hours is not None else None
    try:
        values = stack_outputs(stack, outputs) if settings.compliance.require_backups else {}
        lines, complete = bv.run(settings, values, boto3_clients, datetime.now(UTC), margin)
    except (bv.VerifyError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise CommandError(f"AWS call failed: {str(exc).splitlines()[0]}") from None
    typer.echo("\n".join(lines))
    if not complete:
        raise CommandError(f"{len(lines) - 1} recovery point(s) missing or stale")

