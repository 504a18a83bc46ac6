"""Whom a bundle comes from and when: the namespace of its ids, and its objects' times."""

import os
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import PostMortemError, UsageError
from postmortem.model import PostMortem
from postmortem.policy import Policy

if TYPE_CHECKING:
    from postmortem.history import Version

__all__ = ["TimeOutOfRange", "document_times", "repository_identity", "stix_namespace", "utc"]


def stix_namespace(identity: str) -> uuid.UUID:
    """The UUIDv5 namespace of an organisation's STIX ids, from its identity (a domain name
    or a repository URL, as :func:`repository_identity` gives it)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"postmortem:{identity}")


_CREDENTIALS = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)
_SCP_LIKE = re.compile(r"^[^/@:]+@([^/:]+):(.*)$")


def repository_identity(document: str | os.PathLike[str], policy: Policy) -> str:
    """Whom the bundle of ``document`` comes from: the policy's ``stix_identity``, else the
    URL of the repository's ``origin`` remote without credentials, scheme or ``.git``
    (``git@host:org/repo.git`` and ``https://host/org/repo`` are one identity). A usage
    error when there is neither: ids from nothing would collide between organisations."""
    if policy.stix_identity:
        return policy.stix_identity.strip()
    from postmortem.gitcmd import GitError, run

    label = os.fspath(document)
    try:
        output = run(
            ["config", "--get", "remote.origin.url"], Path(label).absolute().parent, label=label
        )
    except GitError:
        output = b""
    url = output.decode("utf-8", "replace").strip()
    if not url:
        raise UsageError(
            f"{label}: no identity for STIX ids: set stix_identity in .postmortem.yaml "
            "(e.g. your organisation's domain name) or add a git remote origin"
        )
    url = _CREDENTIALS.sub(r"\1", url)
    scp = _SCP_LIKE.match(url)
    if scp:
        url = f"{scp.group(1)}/{scp.group(2)}"
    url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.IGNORECASE)
    return url.removesuffix("/").removesuffix(".git").lower()


def document_times(path: str | os.PathLike[str], doc: PostMortem) -> tuple[datetime, datetime]:
    """``created`` and ``modified`` of the document's objects: its first and last commits;
    outside git (or before its first commit) the document's own dates."""
    from postmortem.history import document_history

    try:
        committed = document_history(path, summaries=False).committed
    except PostMortemError:
        committed = ()
    try:
        return _times(committed, doc, os.fspath(path))
    except TimeOutOfRange as error:
        raise UsageError(f"{os.fspath(path)}: no date for the STIX objects: {error}") from None


def _times(
    committed: Sequence["Version"], doc: PostMortem, source: str
) -> tuple[datetime, datetime]:
    if committed:
        return utc(committed[0].date), utc(committed[-1].date)
    metadata = doc.metadata
    lifecycle = metadata.lifecycle
    known = [
        moment
        for moment in (
            metadata.created,
            metadata.report_date,
            lifecycle.started if lifecycle else None,
            metadata.updated,
        )
        if moment is not None
    ]
    if not known:
        raise UsageError(
            f"{source}: no date for the STIX objects: commit the document or set metadata.created"
        )
    created = utc(known[0])
    modified = utc(metadata.updated) if metadata.updated is not None else created
    return created, max(created, modified)


class TimeOutOfRange(ValueError):
    """A document's time that is no time in UTC (``0001-01-01 00:00+05:00`` is in year 0)."""


def utc(moment: datetime | date) -> datetime:
    """``moment`` in UTC, as STIX writes times; :class:`TimeOutOfRange` when that is before
    year 1 or after year 9999."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), timezone.utc)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise TimeOutOfRange(
            f"{moment.isoformat(sep=' ')} is outside the years 1 to 9999 in UTC"
        ) from None
