"""Markdown post-mortems into documents: headings, key lines, lists, checklists and tables.

The Markdown is parsed into blocks (:mod:`~postmortem.importer.blocks`); headings are matched
to fields by the words documents use for them (:mod:`~postmortem.importer.vocabulary`), the
blocks under each are read by the type of the field (:mod:`~postmortem.importer.sections`,
with a reader per type in :mod:`~postmortem.importer.values`), and the plain data is
structured by the same strict converter as YAML. What matches no field is kept verbatim in
``unmapped`` with a warning naming its line.
"""

from datetime import tzinfo

import attrs

from postmortem.converter import format_path, structure, structure_problems
from postmortem.errors import DocumentError, Problem
from postmortem.importer.blocks import parse_blocks
from postmortem.importer.frontmatter import FrontMatter, front_matter
from postmortem.importer.meaning import (
    TEMPLATE_REASON,
    TITLE_REASON,
    Detected,
    detect_profile,
    pseudo_headings,
)
from postmortem.importer.sections import SectionReader, mark_bare_headings
from postmortem.importer.values import IMPORTED_TIME_ZONE
from postmortem.importer.vocabulary import normalize
from postmortem.model import PostMortem, ProfileName
from postmortem.recognise import recognise
from postmortem.upgrade import assign_ids

__all__ = [
    "IMPORTED_TIME_ZONE",
    "Detected",
    "Imported",
    "detect_profile",
    "import_markdown",
    "normalize",
]


@attrs.frozen
class Imported:
    """The imported document, and what could not be mapped (kept in ``unmapped``)."""

    document: PostMortem
    profile_detected: bool
    warnings: tuple[Problem, ...]
    reasons: tuple[str, ...] = ()
    """Why the document was given its profile."""
    sections: tuple[tuple[str, str | None], ...] = ()
    """Each heading, front matter key and written time read, and the field it names (dotted;
    "" for a heading that only groups sections), or None for a heading kept in ``unmapped``."""


def import_markdown(
    text: str,
    source: str = "<string>",
    profile: str | None = None,
    timezone: tzinfo | None = None,
) -> Imported:
    """The document a Markdown post-mortem holds; ``profile`` is detected from its headings
    and words unless given. Times the document gives no zone for (and declares none for)
    are in ``timezone``, UTC by default. Raises :class:`DocumentError` only if what was read
    does not fit the model."""
    found = front_matter(text)
    text = found.markdown
    blocks = list(parse_blocks(text))
    if not any(block.kind == "heading" and block.level < 6 for block in blocks):
        blocks = list(parse_blocks(mark_bare_headings(text)))
    blocks = pseudo_headings(blocks)
    headings = [block.text for block in blocks if block.kind == "heading"]
    detection = (
        Detected(ProfileName(profile), True, ("chosen",))
        if profile
        else detect_profile(headings, text, _named(found))
    )
    # A template's title says the layout writes milestones and references out itself.
    from_template = detection.reasons == (TEMPLATE_REASON, TITLE_REASON) or profile is not None
    reader = SectionReader(source, detection.profile, timezone, inferring=not from_template)
    reader.read_front_matter(found)
    reader.run(blocks, text)
    if reader.without_zone:
        reader.data["metadata"].setdefault("time_zone", IMPORTED_TIME_ZONE)
    if not from_template:
        recognise(reader.data)
    assign_ids(reader.data)
    try:
        document = structure(reader.data, PostMortem)
    except Exception as error:  # every structuring failure becomes a located problem
        problems = [
            Problem(source, reader.line_of(path), 1, format_path(path), message)
            for path, message in structure_problems(error)
        ]
        raise DocumentError(problems) from None
    return Imported(
        document=document,
        profile_detected=detection.detected,
        warnings=tuple(reader.warnings),
        reasons=detection.reasons,
        sections=tuple(reader.sections_found),
    )


def _named(found: FrontMatter) -> tuple[str, ...]:
    """What the front matter says the document is: its title, tags and categories."""
    return tuple(
        " ".join([fact.value] if isinstance(fact.value, str) else fact.value)
        for fact in found.facts
        if normalize(fact.key) in ("title", "tags", "categories", "keywords")
    )
