"""Markdown kept beside each document: what the ``postmortem-render`` hook writes."""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem._terminal import terminal_text
from postmortem.errors import DocumentError, LayoutError, PolicyError, PostMortemError
from postmortem.reporting import ExitCode, layout_error, policy_error

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = ["render_beside"]


def render_beside(names: Sequence[str]) -> ExitCode:
    """Rewrite ``NAME.md`` beside each post-mortem ``NAME.yaml`` whose rendering changed.

    Files that are not post-mortems (:func:`postmortem.discovery.role_of`) are passed over;
    only documents that load are written; the Markdown renders the document's own content
    (no git history), so that a second run changes nothing. ``NAME.md`` is written as
    :func:`postmortem.files.write_atomic` writes (its line breaks kept, through a link that
    stays in the repository, never over a change made meanwhile); a file it refuses to
    write is one line on standard error and :attr:`ExitCode.USAGE`. :attr:`ExitCode.FINDINGS`
    when a file was written or a document does not load, as formatters do.
    """
    from postmortem.checks import finding_from_problem
    from postmortem.discovery import Role, role_of
    from postmortem.files import file_state, read_with_state, with_line_breaks_of, write_atomic
    from postmortem.policy import find_policy, load_governed
    from postmortem.render import render

    status = ExitCode.CLEAN
    policies: dict[Path, Policy] = {}
    for name in names:
        path = Path(name)
        target = path.with_suffix(".md")
        try:
            policy = find_policy(path, policies)
            if role_of(path, policy) is not Role.DOCUMENT:
                continue
            document = load_governed(name, policy)
            text = render(document, templates=policy.templates_dir(), within=policy.root)
            if target.exists():
                limit = policy.max_file_bytes
                current, state = read_with_state(target, max_bytes=limit, within=policy.root)
                text = with_line_breaks_of(current, text)
            else:
                current, state = None, file_state(target, within=policy.root)
            if current != text:
                write_atomic(target, text, expected=state)
                print(f"{target}: rendered from {path}")
                status = max(status, ExitCode.FINDINGS)
        except PolicyError as error:
            return policy_error(error)
        except LayoutError as error:  # every document would fail the same way
            return layout_error(error)
        except DocumentError as error:
            for problem in error.problems:
                print(finding_from_problem(problem))
            status = max(status, ExitCode.FINDINGS)
        except PostMortemError as error:
            print(f"postmortem-render: {terminal_text(str(error))}", file=sys.stderr)
            status = ExitCode.USAGE
    return status
