"""The pre-commit entry points: ``postmortem-validate``, ``-completeness``,
``-classification`` and ``-render``, and ``postmortem-check``, which runs the rules of the
three checking hooks in one process; each ``main(argv) -> int`` over the package's runner.

A checking hook prints ``path:line:col: RULE-ID field.path: message`` per finding and
exits 1 on findings, 2 on a usage or policy error, 0 when clean; the rules each runs are
those the registry gives it (``postmortem rules``).
"""

import argparse
from collections.abc import Sequence

from postmortem.options import add_cache_option, add_policy_from_option, add_today_option
from postmortem.reporting import environment_error, internal_error

__all__ = ["check", "classification", "completeness", "render", "validate"]


def _checking_hook(
    name: str, hooks: tuple[str, ...], description: str, argv: Sequence[str] | None
) -> int:
    parser = argparse.ArgumentParser(prog=f"postmortem-{name}", description=description)
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to check")
    add_today_option(parser)
    add_policy_from_option(parser)
    add_cache_option(parser)
    args = parser.parse_args(argv)
    try:
        from postmortem.runner import run

        return run(
            args.files,
            hooks,
            today=args.today,
            only_post_mortems=True,
            policy_from=args.policy_from,
            use_cache=not args.no_cache,
        )
    except OSError as error:
        return environment_error(error)
    except Exception as error:
        return internal_error(error)


def validate(argv: Sequence[str] | None = None) -> int:
    """``postmortem-validate``: each document loads and matches the model."""
    description = "Check that post-mortems load and match the model."
    return _checking_hook("validate", ("validate",), description, argv)


def completeness(argv: Sequence[str] | None = None) -> int:
    """``postmortem-completeness``: sections, placeholders, owners, deadlines, consistency."""
    description = "Check that post-mortems are complete and consistent."
    return _checking_hook("completeness", ("completeness",), description, argv)


def classification(argv: Sequence[str] | None = None) -> int:
    """``postmortem-classification``: labels allowed and fitting path, content, distribution."""
    description = "Check post-mortems' classification labels."
    return _checking_hook("classification", ("classification",), description, argv)


def check(argv: Sequence[str] | None = None) -> int:
    """``postmortem-check``: the rules of the three checking hooks, in one process."""
    from postmortem.checks.context import CHECKING_HOOKS

    description = "Check post-mortems against every rule of the checking hooks, in one process."
    return _checking_hook("check", CHECKING_HOOKS, description, argv)


def render(argv: Sequence[str] | None = None) -> int:
    """``postmortem-render``: keep ``NAME.md`` beside each ``NAME.yaml`` current (a fixing
    hook, as formatters are: it rewrites a stale file and exits 1)."""
    parser = argparse.ArgumentParser(
        prog="postmortem-render", description="Keep post-mortems' rendered Markdown current."
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="post-mortem YAML files")
    args = parser.parse_args(argv)
    try:
        from postmortem.render.beside import render_beside

        return render_beside(args.files)
    except OSError as error:
        return environment_error(error)
    except Exception as error:
        return internal_error(error)
