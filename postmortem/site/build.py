"""Building the site: the documents found, each made into what the site shows (an exported
copy in an audience build, else the document with its history from git), a page per
document, the aggregate pages, the leak check of an audience build, and the incremental
manifest.

The manifest (``.postmortem-site.json`` in the output folder) lists every file the last
build wrote and, per document page, the digest of what it was made from. A page whose
inputs did not change is kept; the aggregate pages are always made again; a file the last
build wrote and this one does not (a removed document, one an audience may no longer see)
is deleted. The inputs of every page (the package version, the policies, the audience, the
base URL and the build date) are the manifest's key: when one changes, every page is made
again. Nothing outside the output folder is written or deleted, and a folder that holds
files but no manifest is not used, so that ``--output .`` cannot overwrite a repository.
"""

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from postmortem._shown import shown
from postmortem._version import __version__
from postmortem.errors import PostMortemError, Problem, UsageError
from postmortem.model import Classification, PostMortem

if TYPE_CHECKING:
    from postmortem.policy import Policy
    from postmortem.site.leakcheck import LeakCheck
    from postmortem.site.views import SiteDocument

__all__ = ["MANIFEST", "BuiltSite", "SiteLeakError", "build_site", "page_slug"]

MANIFEST = ".postmortem-site.json"
_MANIFEST_FORMAT = 1
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)
_MOST_SLUG_CHARACTERS = 80
_MOST_MANIFEST_BYTES = 64 * 1024 * 1024
_SITE_FILE = re.compile(
    r"incidents/[a-z0-9-]+\.html|assets/[a-z0-9-]+\.(?:css|js|svg)"
    r"|(?:index|follow-ups)\.html|search-index\.js|feed\.xml"
)
"""The names a build writes: the only files a later build deletes, whatever the manifest
lists (it is a file in the output folder, which may be committed: ``docs/`` for pages)."""


class SiteLeakError(PostMortemError):
    """An audience build would publish what its sources keep above the audience."""


@attrs.frozen
class BuiltSite:
    """What a build did."""

    output: Path
    documents: int
    """Documents the site shows."""
    rendered: int
    """Document pages made in this build."""
    kept: int
    """Document pages kept from the last build, their inputs unchanged."""
    removed: tuple[str, ...]
    """Files of the last build deleted (as paths relative to the output folder)."""
    left_out: int
    """Documents an audience may not see at all (their metadata is above it)."""
    problems: tuple[Problem, ...]
    """Files that look like post-mortems but do not load."""


def page_slug(document_id: str) -> str:
    """A file name for a document id that is safe on every file system: lower-case letters,
    digits and dashes, at most 80 of them, never empty or a reserved Windows name (``CON``),
    never a path (``../../x`` is ``x``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", document_id.casefold()).strip("-")
    slug = slug[:_MOST_SLUG_CHARACTERS].strip("-") or "document"
    return f"{slug}-doc" if slug in _RESERVED_NAMES else slug


def _unique_slugs(ids_and_paths: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A distinct slug per (id, path), in a stable order: a later one that collides gets
    ``-2``, ``-3``..."""
    taken: set[str] = set()
    slugs = {}
    for key in sorted(ids_and_paths):
        base = page_slug(key[0])
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        slugs[key] = candidate
    return slugs


def build_site(
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    audience: Classification | None = None,
    base_url: str | None = None,
    today: date | None = None,
) -> BuiltSite:
    """Build the static site of the post-mortems under ``paths`` (folders or files) into
    ``output``. With ``audience``, every page is made from the documents' exported copies
    for that label, and nothing is written if any file would hold what the sources keep
    above it (:class:`SiteLeakError`). ``base_url`` is where the site is published (for the
    feed's links); ``today`` judges which follow-ups are overdue (default: today)."""
    from postmortem.site.leakcheck import LeakCheck
    from postmortem.site.views import aggregate_files, document_page

    today = today if today is not None else date.today()
    base_url = _checked_base_url(base_url)
    target = Path(output)
    previous = _previous_manifest(target)
    sources, problems = _sources(paths)
    shown, left_out = _shown_documents(sources, audience)
    slugs = _unique_slugs([(item.document.metadata.id, item.path) for item in shown])
    site_documents = _site_documents(shown, slugs)
    key = _build_key(sources, audience, base_url, today)
    reusable = previous.get("documents", {}) if previous.get("key") == key else {}
    files: dict[str, str] = {}
    digests: dict[str, str] = {}
    kept = 0
    for item in site_documents:
        relative = f"incidents/{item.slug}.html"
        digest = _digest(item, site_documents)
        digests[relative] = digest
        if reusable.get(relative) == digest and _own_file(target, relative):
            kept += 1
            continue
        files[relative] = document_page(item, site_documents, audience, base_url, today)
    files.update(aggregate_files(site_documents, audience, base_url, today))
    written = sorted({*files, *digests})
    manifest = {"format": _MANIFEST_FORMAT, "key": key, "documents": digests, "files": written}
    files[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    if audience is not None:
        sources_checked = [(item.path, item.document, item.policy) for item in sources]
        kept_pages = [name for name in digests if name not in files]
        _refuse_leaks(LeakCheck.of(sources_checked, audience), files, target, kept_pages)
    for relative, text in sorted(files.items(), key=lambda item: item[0] == MANIFEST):
        _write(target, relative, text)  # the manifest last: it records a complete build
    removed = tuple(
        name for name in previous.get("files", []) if name not in written and _delete(target, name)
    )
    return BuiltSite(
        target, len(site_documents), len(digests) - kept, kept, removed, left_out, problems
    )


def _checked_base_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    # ASCII only (a byte of the command line that is not UTF-8 arrives as a lone
    # surrogate, which no page can be written with), a host, and no query or fragment,
    # which the pages' names would be appended to.
    if not re.fullmatch(
        r"https?://[A-Za-z0-9.\-\[\]:@]+(/[!$&()*+,;=A-Za-z0-9._~%:@/\-]*)?", base_url
    ):
        raise UsageError(
            f"--base-url must be the http(s) URL of a folder (ASCII, no ? or #; percent-encode"
            f" the rest), not {shown(base_url[:80])}"
        )
    return base_url if base_url.endswith("/") else base_url + "/"


def _previous_manifest(target: Path) -> dict[str, Any]:
    """The last build's manifest; a folder that exists, holds files and has none is not a
    site this command built, and is refused."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: not a folder")
    if not target.exists():
        return {}
    manifest = None
    if (target / MANIFEST).exists():
        from postmortem.files import read_text

        # Read as any other file of the repository: a FIFO or a link out of the folder is
        # refused (never waited on or followed), and a manifest nested too deeply is none.
        try:
            text = read_text(target / MANIFEST, max_bytes=_MOST_MANIFEST_BYTES, within=target)
            manifest = json.loads(text)
        except (PostMortemError, ValueError, RecursionError):
            manifest = None
    if isinstance(manifest, dict) and manifest.get("format") == _MANIFEST_FORMAT:
        files = manifest.get("files")
        documents = manifest.get("documents")
        if isinstance(files, list) and isinstance(documents, dict):
            return {
                "key": manifest.get("key"),
                "files": [name for name in files if isinstance(name, str)],
                "documents": {
                    name: value for name, value in documents.items() if isinstance(value, str)
                },
            }
    if any(target.iterdir()):
        raise UsageError(
            f"{target}: holds files but no {MANIFEST}; build the site into an empty or new folder"
        )
    return {}


@attrs.frozen
class _Source:
    path: str
    document: PostMortem
    policy: "Policy"


def _sources(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[_Source], tuple[Problem, ...]]:
    """The post-mortems under ``paths``, each once, with its policy; exported copies (which
    repeat their source) left out. A file named on its own is found by scanning its folder."""
    from postmortem.policy import find_policy
    from postmortem.reports import scan

    known: dict[Path, Policy] = {}
    found: dict[str, _Source] = {}
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or folder")
        repository = scan(path if path.is_dir() else path.parent)
        chosen = os.path.realpath(path) if not path.is_dir() else None
        problems.extend(repository.problems)
        for scanned in repository.documents:
            real = os.path.realpath(scanned.path)
            if (chosen is not None and real != chosen) or real in found:
                continue
            if scanned.document.metadata.exported_from is None:
                found[real] = _Source(
                    scanned.path, scanned.document, find_policy(scanned.path, known)
                )
    return list(found.values()), tuple(problems)


def _shown_documents(
    sources: list[_Source], audience: Classification | None
) -> tuple[list[_Source], int]:
    """What the site shows of each source: its copy for ``audience`` (none where the
    audience may not see its metadata), else the document with its history from git."""
    from postmortem.audiences import export
    from postmortem.policy import relative_to_root

    if audience is None:
        return _with_git_history(sources), 0
    shown = []
    for source in sources:
        name = relative_to_root(source.path, source.policy)
        copy = export(source.document, audience, source.policy, source=name)
        if "metadata" not in copy.metadata.withheld:
            shown.append(attrs.evolve(source, document=copy))
    return shown, len(sources) - len(shown)


def _with_git_history(sources: list[_Source]) -> list[_Source]:
    """Each document with its history table, version and dates from git where it is in a
    repository with commits; as written otherwise."""
    from postmortem.history import apply_history, histories

    by_ticket_url: dict[str | None, list[str]] = {}
    for source in sources:
        by_ticket_url.setdefault(source.policy.ticket_url, []).append(source.path)
    found = {}
    for ticket_url, paths in by_ticket_url.items():
        try:
            found.update(histories(paths, ticket_url=ticket_url))
        except PostMortemError:  # not in a git work tree: the documents' own history
            continue
    shown = []
    for source in sources:
        if source.path in found:
            copy = attrs.evolve(source.document, metadata=attrs.evolve(source.document.metadata))
            apply_history(copy, found[source.path])
            source = attrs.evolve(source, document=copy)
        shown.append(source)
    return shown


def _site_documents(
    shown: list[_Source], slugs: dict[tuple[str, str], str]
) -> "list[SiteDocument]":
    from postmortem.site.views import SiteDocument

    documents = [
        SiteDocument(
            slug=slugs[item.document.metadata.id, item.path],
            path=item.path,
            document=item.document,
            policy=item.policy,
        )
        for item in shown
    ]
    return sorted(documents, key=lambda item: item.sort_key)


def _build_key(
    sources: Iterable[_Source], audience: Classification | None, base_url: str | None, today: date
) -> str:
    """The digest of what every page depends on besides its document: the package version
    and the site's own code, templates and assets, the policies, the audience, the base URL
    and the build date."""
    from postmortem.converter import unstructure

    policies = {str(source.policy.root): unstructure(source.policy) for source in sources}
    inputs = {
        "version": __version__,
        "site_package": _package_digest(),
        "policies": policies,
        "audience": audience.value if audience is not None else None,
        "base_url": base_url,
        "today": today.isoformat(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _package_digest() -> str:
    """The digest of this package's files (its code, templates and assets): an edited
    template makes every page again, even where the version number did not change."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".css", ".js"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(item: "SiteDocument", documents: "Sequence[SiteDocument]") -> str:
    """The digest of what a document's page is made from: the document as shown and the
    pages of the documents it names as related."""
    from postmortem.converter import unstructure

    related = {
        other.document.metadata.id: [other.slug, other.document.metadata.title]
        for other in documents
        if other.document.metadata.id in item.related_ids
    }
    inputs = {"document": unstructure(item.document), "slug": item.slug, "related": related}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _refuse_leaks(
    check: "LeakCheck", files: dict[str, str], target: Path, kept: Iterable[str]
) -> None:
    """Raise :class:`SiteLeakError` for the first file of the site (made now, or kept from
    the last build) that holds what the sources keep above the audience."""
    kept_files = {name: (target / name).read_text(encoding="utf-8") for name in kept}
    for name, text in sorted({**files, **kept_files}.items()):
        leak = check.first_leak(name, text)
        if leak is not None:
            raise SiteLeakError(f"{name}: {leak}; nothing was written")


def _write(target: Path, relative: str, text: str) -> None:
    from postmortem.files import write_atomic

    path = target / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, within=target)


def _delete(target: Path, relative: str) -> bool:
    """Delete a file the last build wrote, if it is still a file inside the output folder."""
    if not _SITE_FILE.fullmatch(relative) or not _own_file(target, relative):
        return False
    (target / relative).unlink()
    return True


def _own_file(target: Path, relative: str) -> bool:
    """Whether ``relative`` is a file of the output folder itself: not a symbolic link, nor
    reached through one, to somewhere else (a page kept from the last build must be one,
    or the site would publish whatever it leads to)."""
    path = target / relative
    inside = Path(os.path.realpath(path)).is_relative_to(os.path.realpath(target))
    return ".." not in Path(relative).parts and inside and path.is_file() and not path.is_symlink()
