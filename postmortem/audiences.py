"""Labels below the document, and copies of a document for a less cleared audience.

Every part of a document has an effective label: its own, or else its container's
(an item's section, a section's policy default, the document's). The document's
label is the ceiling: no part is ever treated as less sensitive than its own label
says, and an unlabelled part is never less sensitive than what contains it, so a
part reaches a wider audience only when somebody labelled it so.
"""

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from postmortem._shown import shown_path
from postmortem.converter import FieldPath
from postmortem.errors import PostMortemError, UsageError
from postmortem.model import SECTION_NAMES, Classification, Link, Metadata, PostMortem
from postmortem.patterns import Match, compile_linear
from postmortem.policy import Policy

__all__ = ["Labels", "export", "labelled_text", "redact"]


@attrs.frozen
class Labels:
    """The effective labels of a document's parts under a policy, as sensitivity ranks."""

    document: PostMortem
    policy: Policy

    @property
    def ceiling(self) -> int:
        """The document's rank; an unlabelled document is as sensitive as can be."""
        label = self.document.metadata.classification
        return len(self.policy.labels) if label is None else self.policy.sensitivity(label)

    def section(self, name: str) -> int:
        """A section's rank: its own label, or the policy's default for it, at most the
        document's; an own label above the document's counts as it is (a finding)."""
        own = next(
            (item.classification for item in self.document.metadata.section_labels
             if item.section == name),
            None,
        )  # fmt: skip
        if own is not None:
            return self.policy.sensitivity(own)
        default = self.policy.section_labels.get(name)
        if default is not None:
            return min(self.policy.sensitivity(default), self.ceiling)
        return self.ceiling

    def item(self, value: Any, container: int) -> int:
        """An item's rank: its own label, or its container's."""
        own = getattr(value, "classification", None) if _is_labelled_item(value) else None
        return container if own is None else self.policy.sensitivity(own)


def _is_labelled_item(value: Any) -> bool:
    return attrs.has(type(value)) and "classification" in attrs.fields_dict(type(value))


def labelled_text(doc: PostMortem, policy: Policy) -> Iterator[tuple[FieldPath, str, int]]:
    """Every piece of text in the document with its path and effective rank. The id travels
    with every copy (rank 0); the labels and the export's own notes are not content."""
    labels = Labels(doc, policy)
    metadata_rank = labels.section("metadata")
    for field in attrs.fields(Metadata):
        if field.name in _NOT_CONTENT:
            continue
        rank = 0 if field.name == "id" else metadata_rank
        path = ("metadata", field.name)
        yield from _text_in(getattr(doc.metadata, field.name), path, rank, labels)
    for name in SECTION_NAMES:
        yield from _text_in(getattr(doc, name), (name,), labels.section(name), labels)


_NOT_CONTENT = frozenset({"section_labels", "exported_from", "withheld"})


def _text_in(
    value: Any, path: FieldPath, rank: int, labels: Labels
) -> Iterator[tuple[FieldPath, str, int]]:
    if type(value) is str:  # not the words of an enum (a status, a severity): vocabulary
        yield path, value, rank
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_in(item, (*path, index), labels.item(item, rank), labels)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _text_in(getattr(value, field.name), (*path, field.name), rank, labels)


def export(
    doc: PostMortem,
    audience: Classification,
    policy: Policy | None = None,
    *,
    source: str | None = None,
) -> PostMortem:
    """``doc`` as a reader cleared for ``audience`` may see it: every section and item above
    ``audience`` removed (the sections named in ``metadata.withheld``), the policy's
    redaction patterns masked, and ``audience`` as the copy's label. ``source`` is recorded
    as ``metadata.exported_from`` for the leak check."""
    if source is not None:
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:  # bytes of the name that are not UTF-8 (os.fsdecode's)
            raise UsageError(
                f"{shown_path(source)}: the file name is not UTF-8, and a copy names its"
                " source in text (metadata.exported_from); rename the file"
            ) from None
    policy = policy if policy is not None else Policy()
    if policy.rank(audience) is None:
        allowed = ", ".join(label.value for label in policy.allowed_labels())
        raise PostMortemError(f"{audience.value} is not a label of this repository ({allowed})")
    limit = policy.sensitivity(audience)
    labels = Labels(doc, policy)
    kept: dict[str, Any] = {}
    withheld: list[str] = []
    for name in SECTION_NAMES:
        value = getattr(doc, name)
        if value is None or value == []:
            continue
        rank = labels.section(name)
        if rank > limit:
            withheld.append(name)
            kept[name] = [] if isinstance(value, list) else None
        else:
            kept[name] = _without_items_above(value, rank, limit, labels)
    metadata = doc.metadata
    metadata_rank = labels.section("metadata")
    if metadata_rank > limit:
        withheld.insert(0, "metadata")
        metadata = Metadata(id=metadata.id)
    else:
        metadata = _without_items_above(metadata, metadata_rank, limit, labels)
    metadata = attrs.evolve(
        metadata,
        classification=audience,
        section_labels=[
            label
            for label in doc.metadata.section_labels
            if label.section not in withheld and policy.sensitivity(label.classification) < limit
        ],
        exported_from=source,
        withheld=withheld,
    )
    copy = attrs.evolve(doc, metadata=metadata, **kept)
    return redact(copy, audience, policy)


def _without_items_above(value: Any, container: int, limit: int, labels: Labels) -> Any:
    if isinstance(value, list):
        ranked = [(item, labels.item(item, container)) for item in value]
        return [
            _without_items_above(item, rank, limit, labels)
            for item, rank in ranked
            if rank <= limit
        ]
    if attrs.has(type(value)):
        changes = {
            field.name: _without_items_above(getattr(value, field.name), container, limit, labels)
            for field in attrs.fields(type(value))
            if isinstance(getattr(value, field.name), list)
            or attrs.has(type(getattr(value, field.name)))
        }
        return attrs.evolve(value, **changes) if changes else value
    return value


def _literal(replacement: str) -> Callable[[Match], str]:
    """A replacement used as written: ``\\1`` or ``\\g<0>`` in it are not references."""
    return lambda _: replacement


def redact(doc: PostMortem, audience: Classification, policy: Policy) -> PostMortem:
    """``doc`` with every redaction pattern of the policy that applies below ``audience``'s
    label masked in all its text."""
    rules = [
        (compile_linear(rule.pattern), rule.replacement)
        for rule in policy.redactions
        if policy.sensitivity(audience) < policy.sensitivity(rule.below)
    ]
    if not rules:
        return doc

    def mask(value: Any) -> Any:
        if type(value) is str:
            for pattern, replacement in rules:
                value = pattern.sub(_literal(replacement), value)
            return value
        if isinstance(value, Link):
            hidden = any(pattern.search(value.url) for pattern, _ in rules)
            return Link(url="#redacted" if hidden else value.url, label=mask(value.label))
        if isinstance(value, list):
            return [mask(item) for item in value]
        if attrs.has(type(value)):
            changes = {
                field.name: mask(getattr(value, field.name)) for field in attrs.fields(type(value))
            }
            return attrs.evolve(value, **changes)
        return value

    masked: PostMortem = mask(doc)
    return masked
