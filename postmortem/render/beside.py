"""Markdown kept beside each document: what the ``postmortem-render`` hook writes."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import DocumentError, LayoutError, PolicyError
from postmortem.reporting import ExitCode, layout_error, policy_error

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = ["render_beside"]


def render_beside(names: Sequence[str]) -> ExitCode:
    """Rewrite ``NAME.md`` beside each post-mortem ``NAME.yaml`` whose rendering changed.

    Files that are not post-mortems (:func:`postmortem.discovery.role_of`) are passed over;
    only documents that load are written; the Markdown renders the document's own content
    (no git history), so that a second run changes nothing. :attr:`ExitCode.FINDINGS` when a
    file was written or a document does not load, as formatters do.
    """
    from postmortem.checks import finding_from_problem
    from postmortem.discovery import Role, role_of
    from postmortem.files import read_text, write_atomic
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
            current = read_text(target) if target.exists() else None
        except PolicyError as error:
            return policy_error(error)
        except LayoutError as error:  # every document would fail the same way
            return layout_error(error)
        except DocumentError as error:
            for problem in error.problems:
                print(finding_from_problem(problem))
            status = ExitCode.FINDINGS
            continue
        if current != text:
            write_atomic(target, text)
            print(f"{target}: rendered from {path}")
            status = ExitCode.FINDINGS
    return status
