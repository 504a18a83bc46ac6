"""Command-line options shared by the ``postmortem`` command and the hooks."""

import argparse
from datetime import date, datetime

__all__ = ["add_cache_option", "add_policy_from_option", "add_today_option", "date_option"]


def date_option(text: str) -> date:
    """An option's date, written as documents write them (``2024-05-01``,
    ``2024-05-01T14:30Z``, ``2024-05-01 14:30:00+02:00``); a time is dropped."""
    from postmortem.converter import structure
    from postmortem.model import When

    try:
        value: date = structure(text, When)  # type: ignore[arg-type]
    except Exception:  # the converter's errors are exceptions of several cattrs types
        raise argparse.ArgumentTypeError(
            f"not a date: {text[:60]!r} (write e.g. 2024-05-01 or 2024-05-01T14:30Z)"
        ) from None
    return value.date() if isinstance(value, datetime) else value


def add_today_option(parser: argparse.ArgumentParser) -> None:
    """``--today``: the date deadlines are judged by, for reproducible runs."""
    parser.add_argument(
        "--today", type=date_option, metavar="DATE", help="date to judge deadlines by (YYYY-MM-DD)"
    )


def add_policy_from_option(parser: argparse.ArgumentParser) -> None:
    """``--policy-from REV``: read the policy from a git revision, for CI on pull requests."""
    parser.add_argument(
        "--policy-from",
        metavar="REV",
        help="read the policy from this git revision (a pull request's base branch), and "
        "report each way the work tree's policy is weaker (PM601)",
    )


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: read every file anew, neither using nor filling the parse cache."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="parse every file, neither reading nor writing the parse cache",
    )
