"""Rendering for readers: a document as Markdown in its profile's layout, and history tables.

Layouts are Jinja2 templates, one per profile (``templates/<profile>.md.j2``), that
a team can override with a folder of its own. Every value a template prints goes
through Markdown escaping (the environment's ``finalize``) unless a helper has
already rendered it as Markdown.
"""

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from postmortem.model import SECTION_NAMES, HistoryEntry, PostMortem
from postmortem.profiles import get_profile
from postmortem.render.history import history_json, history_markdown
from postmortem.render.markdown import escape_inline, field_label, format_value, render_value, table

__all__ = ["history_json", "history_markdown", "render"]


class _Markdown(str):
    """Text that is already Markdown and must not be escaped again."""


def render(
    doc: PostMortem,
    *,
    profile: str | None = None,
    history: Sequence[HistoryEntry] | None = None,
    templates: str | os.PathLike[str] | None = None,
) -> str:
    """``doc`` as Markdown in the layout of ``profile`` (its own by default).

    ``history`` replaces the document's own history table (for example with the one
    derived from git). ``templates`` names a folder whose ``<profile>.md.j2`` files
    take precedence over the built-in layouts. Sections the layout does not show are
    appended under "Other sections", never dropped. The output is deterministic.
    """
    chosen = get_profile(profile or doc.profile)
    if history is not None:
        doc = attrs.evolve(doc, history=list(history))
    template = _environment(str(templates) if templates else None).get_template(
        f"{chosen.name.value}.md.j2"
    )
    shown = set(chosen.section_fields)
    text = template.render(
        doc=doc,
        profile=chosen,
        other_sections=[name for name in SECTION_NAMES if name not in shown and _has(doc, name)],
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


def _finalize(value: Any) -> str:
    if isinstance(value, _Markdown):
        return value
    if value is None:
        return ""
    return escape_inline(format_value(value))


def _section(doc: PostMortem, name: str, level: int = 3) -> _Markdown:
    field = attrs.fields_dict(PostMortem)[name]
    return _Markdown(render_value(getattr(doc, name), field.type, level))


def _value(
    owner: Any, name: str, level: int = 3, labels: dict[str, str] | None = None
) -> _Markdown:
    field = attrs.fields_dict(type(owner))[name]
    verbatim = bool(field.metadata.get("verbatim"))
    rendered = render_value(
        getattr(owner, name), field.type, level, verbatim=verbatim, labels=labels
    )
    return _Markdown(rendered)


def _table(rows: list[Any], *columns: tuple[str, str | None]) -> _Markdown:
    return _Markdown(table(rows, list(columns)))


def _key(label: str, value: Any) -> _Markdown:
    """A ``**Label**: value`` line; nothing when there is no value."""
    if value is None or value == [] or value == "":
        return _Markdown("")
    rendered = value if isinstance(value, _Markdown) else escape_inline(format_value(value))
    return _Markdown(f"**{escape_inline(label)}**: {rendered}")


@cache
def _environment(templates: str | None) -> Any:
    import jinja2

    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("postmortem.render", "templates")]
    if templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(Path(templates)))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        section=_section,
        value=_value,
        table=_table,
        key=_key,
        label=field_label,
        markdown=_Markdown,
    )
    environment.filters["inline"] = lambda text: _Markdown(escape_inline(format_value(text)))
    return environment
