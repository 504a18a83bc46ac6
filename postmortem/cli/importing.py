"""``postmortem import``: one Markdown post-mortem, or a folder of them, into documents, and
the migration report (per file: the profile and why, the share of its words typed and kept,
the headings left in ``unmapped``)."""

import argparse
import sys
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postmortem._terminal import terminal_text
from postmortem.cli.output import output_state, write_for_people, write_output
from postmortem.errors import DocumentError, UsageError
from postmortem.reporting import ExitCode

if TYPE_CHECKING:
    from postmortem.importer import Imported

__all__ = ["run_import"]

REPORT_COLUMNS = ("file", "profile", "why", "typed", "kept", "unmapped_headings")


def run_import(args: argparse.Namespace) -> int:
    source = Path(args.path)
    pairs: list[tuple[Path, Path | None]]
    if source.is_dir():
        if not args.output:
            raise UsageError(f"{args.path}: is a folder; name the folder to write with -o OUTDIR")
        pairs = [
            (path, Path(args.output) / path.relative_to(source).with_suffix(".yaml"))
            for path in sorted(source.rglob("*.md"))
            if path.is_file()
        ]
        if not pairs:
            raise UsageError(f"{args.path}: no Markdown files (*.md) in it")
    else:
        pairs = [(source, Path(args.output) if args.output else None)]
    zone = _zone(args.timezone) if args.timezone else None
    rows = []
    failed = False
    for number, (path, output) in enumerate(pairs, start=1):
        row = _import_one(args, path, output, zone)
        failed = failed or row is None
        if row is not None:
            rows.append(row)
        if len(pairs) > 1:
            state = "failed" if row is None else f"{row['profile']}, {row['typed']} typed"
            print(terminal_text(f"[{number}/{len(pairs)}] {path}: {state}"), file=sys.stderr)
    if args.report:
        from postmortem.render.tables import format_rows, plain

        cells = [[plain(row[column]) for column in REPORT_COLUMNS] for row in rows]
        write_for_people("".join(format_rows(cells, REPORT_COLUMNS, "markdown")))
    return ExitCode.FINDINGS if failed else ExitCode.CLEAN


def _zone(name: str) -> tzinfo:
    """``--timezone``: an IANA zone, an offset or an abbreviation; a usage error otherwise."""
    from postmortem.importer.times import zone_named

    try:
        return zone_named(name)
    except ValueError as error:
        raise UsageError(f"--timezone {name}: {error}") from None


def _import_one(
    args: argparse.Namespace, path: Path, output: Path | None, zone: tzinfo | None
) -> dict[str, Any] | None:
    """Import ``path`` to ``output`` (standard output when None, unless reporting): the
    report's row, or None when it could not be imported (the reasons printed)."""
    from postmortem.files import read_text
    from postmortem.importer import import_markdown
    from postmortem.yaml_io import dumps

    try:
        state = output_state(str(output), [str(path)], new=True) if output else None
        text = read_text(str(path))
        imported = import_markdown(text, str(path), profile=args.profile, timezone=zone)
    except (DocumentError, UsageError) as error:
        if not Path(args.path).is_dir():
            raise  # one file: its error is the command's
        print(terminal_text(str(error), lines=True), file=sys.stderr)
        return None
    for warning in imported.warnings:
        print(terminal_text(f"{warning} (warning)"), file=sys.stderr)
    profile = imported.document.profile.value
    if not imported.profile_detected:
        message = f"{path}: no template recognised; imported as {profile} (use --profile to choose)"
        print(terminal_text(message), file=sys.stderr)
    yaml_text = dumps(imported.document)
    if state is not None:
        write_output(state, yaml_text)
        print(terminal_text(f"{output}: imported from {path} ({profile})"))
    elif not args.report:
        sys.stdout.write(yaml_text)
    return _report_row(path, text, imported)


def _report_row(path: Path, text: str, imported: "Imported") -> dict[str, Any]:
    from postmortem.importer.coverage import coverage
    from postmortem.render import render

    document = imported.document
    measured = coverage(text, document, imported.sections, render(document))
    unmapped = [heading for heading, field in imported.sections if field is None]
    return {
        "file": str(path),
        "profile": document.profile.value,
        "why": "; ".join(imported.reasons),
        "typed": f"{measured.typed_share:.0%}",
        "kept": f"{measured.kept_share:.0%}",
        "unmapped_headings": ", ".join(unmapped) or "-",
    }
