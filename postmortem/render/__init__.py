"""Rendering for readers: a document as Markdown in its profile's layout, and history tables.

Layouts are Jinja2 templates, one per profile (``templates/<profile>.md.j2``), that
a team can override with a folder of its own; :mod:`postmortem.render.layouts` renders
them, sandboxed, and a team's bounded. Every value a template prints goes through
Markdown escaping (the environment's ``finalize``) unless a helper has already rendered
it as Markdown.
"""

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from postmortem.model import SECTION_NAMES, DocumentStatus, HistoryEntry, PostMortem
from postmortem.profiles import get_profile

if TYPE_CHECKING:
    from postmortem.render.history import history_json, history_markdown

__all__ = ["history_json", "history_markdown", "render"]


def __getattr__(name: str) -> Any:
    """The history tables, imported on first use: they read git (:mod:`postmortem.history`),
    which the views of :mod:`postmortem.render.tables` do not."""
    if name not in ("history_json", "history_markdown"):
        raise AttributeError(f"module 'postmortem.render' has no attribute {name!r}")
    from postmortem.render import history

    value = getattr(history, name)
    globals()[name] = value
    return value


def render(
    doc: PostMortem,
    *,
    profile: str | None = None,
    history: Sequence[HistoryEntry] | None = None,
    templates: str | os.PathLike[str] | None = None,
    within: str | os.PathLike[str] | None = None,
) -> str:
    """``doc`` as Markdown in the layout of ``profile`` (its own by default).

    ``history`` replaces the document's own history table (for example with the one
    derived from git). ``templates`` names a folder whose ``<profile>.md.j2`` files
    take precedence over the built-in layouts; they render sandboxed and bounded, and are
    read only from inside the folder ``within`` (the repository; by default ``templates``
    itself). Sections the layout does not show are appended under "Other sections", never
    dropped; a draft shows every section of the layout, an empty one marked as still to
    write. The output is deterministic. :class:`~postmortem.errors.LayoutError` locates
    what is wrong with a layout of the folder.
    """
    from postmortem.render.layouts import render_layout

    chosen = get_profile(profile or doc.profile)
    if history is not None:
        doc = attrs.evolve(doc, history=list(history))
    shown = set(chosen.section_fields)
    variables = {
        "doc": doc,
        "profile": chosen,
        "other_sections": [name for name in SECTION_NAMES if name not in shown and _has(doc, name)],
        "still_to_write": [
            name
            for name in chosen.section_fields
            if doc.metadata.status is DocumentStatus.DRAFT and not _has(doc, name)
        ],
    }
    text = render_layout(
        f"{chosen.name.value}.md.j2",
        variables,
        os.fspath(templates) if templates is not None else None,
        os.fspath(within) if within is not None else None,
    )
    return _tidy(text)


def _has(doc: PostMortem, name: str) -> bool:
    value = getattr(doc, name)
    return value is not None and value != [] and value != ""


def _tidy(text: str) -> str:
    """One blank line between blocks and a single final newline, whatever the template did."""
    lines: list[str] = []
    for line in text.split("\n"):  # not splitlines(): user text may hold U+0085 or U+2028
        blank = not line.strip(" \t")
        if not blank or (lines and lines[-1]):
            lines.append("" if blank else line.rstrip(" \t"))
    return "\n".join(lines).strip("\n") + "\n"
