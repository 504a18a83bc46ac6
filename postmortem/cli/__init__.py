"""The ``postmortem`` command line: one function per command, each a thin shell over the API.

Exit codes: 0 success, 1 problems found in the input, 2 a usage or policy error,
3 an internal error (a bug: reported on one line; POSTMORTEM_DEBUG=1 shows the traceback).
Modules beyond argparse are imported inside the command that needs them, so
that ``postmortem --help`` and the hooks start fast.

Where things are: ``parser.py`` declares every command's arguments and which function runs
it; the commands themselves are ``run_<command>(args) -> int`` functions in
``documents.py`` (one document or a list: new, validate, check, render, import, export),
``views.py`` (many documents shown together: history, index, actions, stats),
``site.py`` (the library as a static website) and
``setup.py`` (the repository and the tool: init, schema, rules, profiles, completion);
``output.py`` is where their output goes (files written atomically, the terminal).
A new command is a ``run_<command>`` function in the module of its kind and an
``add_parser`` block in ``parser.py``; the errors it raises are reported here, by ``main``.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from postmortem._terminal import terminal_text
from postmortem.cli.parser import build_parser, list_commands
from postmortem.errors import DocumentError, LayoutError, PolicyError, PostMortemError
from postmortem.reporting import (
    ExitCode,
    environment_error,
    internal_error,
    layout_error,
    policy_error,
)

__all__ = ["main"]

_parser = build_parser  # the name tests/test_cli_help.py builds the parser by


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return list_commands(parser)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except PolicyError as error:
        return policy_error(error)
    except DocumentError as error:
        for problem in error.problems:
            print(problem)
        return ExitCode.FINDINGS
    except LayoutError as error:
        return layout_error(error)
    except PostMortemError as error:
        print(terminal_text(f"postmortem: {error}"), file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except OSError as error:
        return environment_error(error)
    except Exception as error:
        return internal_error(error)
