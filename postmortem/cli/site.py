"""The ``site`` command: the incident library as a static website, and its preview."""

import argparse
import sys
from pathlib import Path

from postmortem._terminal import terminal_text
from postmortem.reporting import ExitCode

__all__ = ["run_site"]


def run_site(args: argparse.Namespace) -> int:
    from postmortem.model import Classification
    from postmortem.site import build_site

    built = build_site(
        args.paths,
        args.output,
        audience=Classification(args.audience) if args.audience else None,
        base_url=args.base_url,
        today=args.today,
    )
    for problem in built.problems:
        print(problem, file=sys.stderr)
    left_out = f", {built.left_out} left out (above {args.audience})" if args.audience else ""
    print(
        terminal_text(
            f"{built.output}: {built.documents} post-mortem{'' if built.documents == 1 else 's'}"
            f" (pages made: {built.rendered}, unchanged: {built.kept}, files removed: "
            f"{len(built.removed)}{left_out})"
        )
    )
    if args.serve:
        from postmortem.site.serve import serve

        serve(Path(args.output), args.port)
    return ExitCode.FINDINGS if built.problems else ExitCode.CLEAN
