"""Commands that run on this machine, no AWS account: the sandbox, its game day, and OCR of
a screenshot."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..common import CommandError, Stack

app = typer.Typer()



@app.command()
def sandbox(
    port: Annotated[int, typer.Option(
        "--port", "-p", min=0, max=65535, help="Port of the website (0: any free port).")] = 8000,
    api_port: Annotated[int | None, typer.Option(
        "--api-port", min=0, max=65535, help="Port of the API (default: --port + 1; 0: any free port).")] = None,
    outputs: Annotated[Path | None, typer.Option(
        "--outputs", help="Write the sandbox's stack outputs (the shape of `pulumi stack output --json`) here.")] = None,
) -> None:
    """Serve site/, the real API handler and the messaging worker on 127.0.0.1, AWS emulated by moto (no account)."""
    import gc

    from ..prerequisites import missing_dev_package

    gc.enable()  # a server runs for hours: collect cycles (`__main__` turned the GC off for short commands)
    try:
        from ..sandbox import SandboxError, run

        try:
            run(port, api_port, outputs_file=outputs)
        except SandboxError as exc:
            raise CommandError(str(exc)) from None
    except ModuleNotFoundError as exc:  # moto, Powertools: requirements-dev.txt, not requirements.txt
        raise CommandError(missing_dev_package(exc, "platformctl sandbox")) from None



@app.command()
def gameday(
    stack: Stack,
    quick: Annotated[bool, typer.Option(
        "--quick", help="Short worker timeout (via stack config), so crashed batches are back in seconds.")] = False,
    events: Annotated[int, typer.Option("--events", "-n", min=10, max=5000, help="Events per scenario.")] = 200,
) -> None:
    """Scripted faults against the local sandbox: worker crash, poison burst, API and DynamoDB throttling."""
    from offline import plan as engine

    from ..prerequisites import missing_dev_package

    try:
        from ..gameday import GameDayError, run
    except ModuleNotFoundError as exc:
        raise CommandError(missing_dev_package(exc, "platformctl gameday")) from None
    try:
        results = run(stack, quick, events, lambda name, overrides: engine.run_offline(name, overrides))
    except GameDayError as exc:
        raise CommandError(str(exc)) from None
    print(f"{'scenario':<26}{'good':>6}{'lost':>6}{'dup':>6}{'delayed':>9}{'recovery':>11}  note")
    for r in results:
        recovery = "never" if r.recovery_seconds == float("inf") else f"{r.recovery_seconds:.1f} s"
        print(f"{r.scenario:<26}{r.good:>6}{r.lost:>6}{r.duplicated:>6}{r.delayed:>9}{recovery:>11}  {r.note}")
    failed = [r.scenario for r in results if not r.ok]
    if failed:
        raise CommandError(f"events lost or duplicated in: {', '.join(failed)}")



class OcrFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def ocr(
    image: Annotated[Path, typer.Argument(help="Screenshot of code: PNG, JPEG or WebP.")],
    format: Annotated[OcrFormat, typer.Option(
        "--format", "-f", help="text (the source) or json (text, language, confidence, per-line boxes).")] = OcrFormat.text,
    tab_width: Annotated[int, typer.Option(
        "--tab-width", min=0, max=16, help="Write leading runs of N spaces as tabs (0: keep spaces).")] = 0,
    code_fixes: Annotated[bool, typer.Option(
        "--code-fixes/--no-code-fixes", help="Repair 0/O and 1/l confusions a compiler would reject.")] = True,
) -> None:
    """Recover source code (indentation and blank lines included) from a screenshot, with local Tesseract."""
    from ..ocr_cli import recognise

    result = recognise(image, tab_width=tab_width, code_fixes=code_fixes)
    if format is OcrFormat.json:
        import json

        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(result.text)

