"""The Document History table, and histories as JSON-ready data."""

from collections.abc import Mapping
from typing import Any

from postmortem._shown import shown_path, utf8_path
from postmortem.history import DocumentHistory
from postmortem.render.markdown import escape_cell

__all__ = ["history_json", "history_markdown"]


def history_markdown(found: Mapping[str, DocumentHistory]) -> str:
    """The "Document History" table of the security post-mortem, one per document."""
    parts = []
    for path, document_history in found.items():
        lines = [f"## Document History: {escape_cell(shown_path(path))}", ""]
        if not document_history.versions:
            lines.append("No committed versions yet.")
        else:
            lines += [
                "| Version | Date | Author | Changes |",
                "|---------|------|--------|---------|",
            ]
            lines += [
                "| {} | {} | {} | {} |".format(
                    escape_cell(version.number + (" (pending)" if version.pending else "")),
                    version.date.strftime("%Y-%m-%d %H:%M %z"),
                    escape_cell(version.author),
                    escape_cell(version.summary),
                )
                for version in document_history.versions
            ]
            if document_history.truncated:
                lines += ["", "History is truncated at the shallow clone's boundary."]
            lines += [
                "",
                "Contributors: " + ", ".join(map(escape_cell, document_history.contributors)),
            ]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def history_json(found: Mapping[str, DocumentHistory]) -> list[dict[str, Any]]:
    """Histories as JSON-ready data (dates in ISO 8601)."""
    return [
        {
            "path": utf8_path(path),
            "created": _iso(document_history.created),
            "last_updated": _iso(document_history.last_updated),
            "version": document_history.current_version,
            "contributors": list(document_history.contributors),
            "truncated": document_history.truncated,
            "versions": [
                {
                    "version": version.number,
                    "date": version.date.isoformat(),
                    "author": version.author,
                    "author_email": version.author_email,
                    "commit": version.commit,
                    "subject": version.subject,
                    "changes": version.summary,
                    "path": utf8_path(version.path),
                    "pending": version.pending,
                }
                for version in document_history.versions
            ],
        }
        for path, document_history in found.items()
    ]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
