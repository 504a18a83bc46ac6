"""The repository policy: ``.postmortem.yaml`` at the root of an incidents repository.

Every key is optional; a repository with no policy file gets the defaults below.
The file is validated like a document, with located errors.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit

import attrs

from postmortem._shown import shown
from postmortem._suggest import did_you_mean
from postmortem.converter import FieldPath, structure, structure_problems
from postmortem.errors import DocumentError, Level, PolicyError, Problem
from postmortem.files import decode_text, read_text
from postmortem.model import (
    SECTION_NAMES,
    Classification,
    DocumentStatus,
    PostMortem,
    ProfileName,
    Severity,
)
from postmortem.model.common import describe, items, optional
from postmortem.notifications import BUILT_IN_REGIMES, NotificationRegime, regime_problems
from postmortem.patterns import Pattern, PatternError, compile_linear
from postmortem.yaml_io import loads, parse_with_positions

__all__ = [
    "DEFAULT_LABEL_LEVELS",
    "DEFAULT_PLACEHOLDERS",
    "POLICY_FILE",
    "ContentKind",
    "ContentRule",
    "PathRule",
    "Policy",
    "Redaction",
    "SeverityLevel",
    "find_policy",
    "glob_matches",
    "is_published",
    "load_governed",
    "load_policy",
    "policies_from",
    "policy_from_text",
    "policy_revision",
    "read_governed",
    "relative_to_root",
]

POLICY_FILE = ".postmortem.yaml"

MAX_FILE_BYTES_LIMIT = 256 * 1024 * 1024
"""The largest ``max_file_bytes`` a policy may set: a bound on what one file may cost."""

DEFAULT_LABEL_LEVELS: tuple[tuple[Classification, ...], ...] = (
    (Classification.PUBLIC, Classification.TLP_CLEAR),
    (Classification.TLP_GREEN,),
    (Classification.INTERNAL,),
    (Classification.TLP_AMBER,),
    (Classification.CONFIDENTIAL, Classification.TLP_AMBER_STRICT),
    (Classification.RESTRICTED, Classification.TLP_RED),
)
"""Labels from least to most sensitive; labels in one level are equally sensitive."""

# RE2 syntax (no lookaround): where a pattern must see the character after the
# placeholder, group 1 is the placeholder shown in the finding.
DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    r"(\[[A-Z][^\[\]\n]{0,60}\])(?:[^(]|$)",
    r"\bYYYY(?:-MM-DD)?\b",
    r"\bHH:MM\b",
    r"\bTBD\b",
    r"\bXXX+\b",
    r"\bTODO\b",
    r"\bFIXME\b",
    r"\$[XYZ]\b",
    r"(?:^|[^\w.])(@(?:engineer|devops|tech-writer|security-lead|username|handle|someone))(?:[^\w-]|$)",
    r"<!--[^<\n]*?-->",
    r"[Ll]orem ipsum\b",
)
"""Patterns of text left over from a template (regular expressions)."""


class ContentKind(str, Enum):
    """Content that demands a minimum classification."""

    IOCS = "iocs"
    CREDENTIALS = "credentials"
    CUSTOMER_DATA = "customer_data"


@attrs.define(kw_only=True)
class PathRule:
    """Documents at ``paths`` (globs, ``**`` for any depth) may carry only ``labels``."""

    paths: list[str] = describe("globs relative to the repository root, e.g. public/**")
    labels: list[Classification] = describe("labels allowed there")
    published: bool = describe(
        "documents there are published copies: the leak check compares each with the "
        "document it was exported from",
        default=False,
    )


@attrs.define(kw_only=True)
class ContentRule:
    """A document that has ``content`` must be labelled at least ``minimum``."""

    content: ContentKind = describe("iocs, credentials or customer_data")
    minimum: Classification = describe("the least sensitive label allowed")


@attrs.define(kw_only=True)
class Redaction:
    """Text matching ``pattern`` is masked in every copy exported for an audience below
    ``below``."""

    pattern: str = describe("regular expression, e.g. \\b[a-z0-9-]+\\.corp\\.example\\.com\\b")
    below: Classification = describe("masked in exports less sensitive than this label")
    replacement: str = describe("what replaces it", default="[redacted]")


@attrs.define(kw_only=True)
class SeverityLevel:
    """A level of the organisation's own severity scale, and the templates' levels it
    stands for."""

    name: str = describe("the organisation's name for the level, e.g. SEV-1")
    covers: list[Severity] = describe(
        "the profiles' levels it stands for, e.g. [Sev 1, P1, Critical]"
    )


def _default_section_labels() -> dict[str, Classification]:
    return dict.fromkeys(("iocs", "evidence", "technical_details"), Classification.CONFIDENTIAL)


def _default_content_rules() -> list[ContentRule]:
    return [ContentRule(content=kind, minimum=Classification.CONFIDENTIAL) for kind in ContentKind]


def _default_label_levels() -> list[list[Classification]]:
    return [list(level) for level in DEFAULT_LABEL_LEVELS]


@attrs.define(kw_only=True)
class Policy:
    """What a repository demands of its post-mortems."""

    files: str = describe(
        "regular expression of the paths the hooks check",
        default=r"^(incidents|postmortems)/.*\.ya?ml$",
    )
    labels: list[list[Classification]] = describe(
        "allowed labels, least sensitive first; a list per level of equal sensitivity",
        factory=_default_label_levels,
    )
    path_rules: list[PathRule] = items("labels allowed under given paths")
    content_rules: list[ContentRule] = describe(
        "content that demands a minimum label", factory=_default_content_rules
    )
    required_sections: dict[ProfileName, dict[DocumentStatus, list[str]]] = describe(
        "sections required per profile and status; replaces the profile's defaults",
        factory=dict,
    )
    placeholders: list[str] | None = optional("placeholder patterns; replaces the defaults")
    extra_placeholders: list[str] = items("placeholder patterns added to the defaults")
    select: list[str] = describe(
        "rule ids or prefixes to run (PM2 runs every PM2xx rule)", factory=lambda: ["PM"]
    )
    ignore: list[str] = items("rule ids or prefixes not to run")
    levels: dict[str, Level] = describe(
        "level of a rule's findings (error fails the hooks, warning is shown only), by rule id; "
        "e.g. PM206: error makes overdue items fail",
        factory=dict,
    )
    max_file_bytes: int = describe("largest document read, in bytes", default=5 * 1024 * 1024)
    templates: str | None = optional("folder of Markdown layouts that replace the built-in ones")
    section_labels: dict[str, Classification] = describe(
        "label of a section that has none of its own (capped at the document's); IOCs, "
        "evidence, technical details and the attack analysis are Confidential by default",
        factory=_default_section_labels,
    )
    redactions: list[Redaction] = items("patterns masked in copies exported below a label")
    cause_categories: list[str] = items(
        "root-cause categories added to the taxonomy (change, configuration, capacity, "
        "dependency, software defect, hardware, security compromise, process, unknown)"
    )
    notification_regimes: list[NotificationRegime] = items(
        "notification regimes besides the built-in GDPR and NIS2 (one of the same name "
        "replaces it), each with its steps and deadlines"
    )
    severity_levels: list[SeverityLevel] = items(
        "the organisation's severity scale, most severe first, each level naming the "
        "profiles' levels it stands for; `stats` compares incidents on it, and a document "
        "whose severity no level covers is reported (PM411)"
    )
    ticket_url: str | None = optional(
        "URL of a ticket with {key} where its key goes, e.g. "
        "https://jira.example.com/browse/{key}: a ticket key written where a link goes "
        "(ticket: PLAT-2231) links there"
    )
    stix_identity: str | None = optional(
        "who the repository's STIX objects come from, e.g. the organisation's domain name "
        "or the repository's URL: the ids of an exported bundle are derived from it (else "
        "from the git remote origin), so that two organisations' ids never collide"
    )

    def templates_dir(self) -> Path | None:
        """The layout folder, relative to the policy file."""
        return self.root / self.templates if self.templates else None

    root: Path = attrs.field(init=False, default=Path("."), eq=False)
    """The directory path rules are relative to: where the policy file is."""
    _real_root: str | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def real_root(self) -> str:
        """:attr:`root` with its links resolved, asked of the file system once per policy (a
        policy is found once per folder and run)."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        return self._real_root

    def rank(self, label: Classification) -> int | None:
        """The sensitivity of ``label`` (0 is least sensitive), None if it is not allowed."""
        for index, level in enumerate(self.labels):
            if label in level:
                return index
        return None

    def sensitivity(self, label: Classification) -> int:
        """The rank of ``label``; a label the repository does not allow counts as the most
        sensitive of all, so that nothing is published by a typo."""
        rank = self.rank(label)
        return len(self.labels) if rank is None else rank

    def allowed_labels(self) -> list[Classification]:
        return [label for level in self.labels for label in level]

    def regimes(self) -> list[NotificationRegime]:
        """The notification regimes: the built-in ones, replaced or added to by the policy's."""
        own = {regime.name for regime in self.notification_regimes}
        built_in = [regime for regime in BUILT_IN_REGIMES if regime.name not in own]
        return [*built_in, *self.notification_regimes]

    def severity_level(self, severity: Severity) -> tuple[int, SeverityLevel] | None:
        """Where ``severity`` stands on the organisation's scale: its rank (1 the most
        severe) and level; None if the policy has no scale or no level covers it."""
        for rank, level in enumerate(self.severity_levels, start=1):
            if severity in level.covers:
                return rank, level
        return None

    def selects(self, rule: str) -> bool:
        chosen = any(rule.startswith(prefix) for prefix in self.select)
        return chosen and not any(rule.startswith(prefix) for prefix in self.ignore)

    def level(self, rule: str, default: Level) -> Level:
        """The level of ``rule``'s findings: the policy's choice, else the rule's own."""
        return self.levels.get(rule, default)

    def placeholder_patterns(self) -> list[Pattern]:
        """The placeholder patterns, compiled to run in linear time."""
        patterns = (*(self.placeholders or DEFAULT_PLACEHOLDERS), *self.extra_placeholders)
        return [compile_linear(pattern) for pattern in patterns]

    def names_document(self, relative_path: str) -> bool:
        """Whether the repository path ``relative_path`` matches the ``files`` pattern."""
        return compile_linear(self.files).search(relative_path) is not None

    def sections_required(
        self, profile: ProfileName, status: DocumentStatus, defaults: tuple[str, ...]
    ) -> tuple[str, ...]:
        """What a document must fill in: the policy's list if it has one, else the profile's
        required sections once the document leaves Draft, and the summary before."""
        configured = self.required_sections.get(profile, {})
        if status in configured:
            return tuple(configured[status])
        return defaults if status is not DocumentStatus.DRAFT else ("summary",)


def is_published(relative_path: str, policy: Policy) -> bool:
    """Whether the repository path ``relative_path`` lies under a path rule marked
    ``published``."""
    return any(
        rule.published and any(glob_matches(pattern, relative_path) for pattern in rule.paths)
        for rule in policy.path_rules
    )


def glob_matches(pattern: str, path: str) -> bool:
    """Whether a repository-relative POSIX ``path`` matches a glob; ``**`` spans directories."""
    return compile_linear(_glob_regex(pattern)).search(path) is not None


@cache
def _glob_regex(pattern: str) -> str:
    parts = ["^"]
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return "".join(parts) + r"\z"


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate a policy file; :class:`PolicyError` with located problems if bad."""
    source = os.fspath(path)
    try:
        text = read_text(path)
    except DocumentError as error:
        raise PolicyError(error.problems) from None
    return policy_from_text(text, source, Path(path).parent)


def policy_from_text(text: str, source: str, root: Path) -> Policy:
    """The policy in ``text`` (read from ``source``) for the repository folder ``root``;
    :class:`PolicyError` with located problems if it is not valid."""
    try:
        parsed = parse_with_positions(text, source)
    except DocumentError as error:
        raise PolicyError(error.problems) from None
    data = parsed.data
    if data is None:
        return _rooted(Policy(), root)
    if not isinstance(data, dict):
        raise PolicyError([Problem(source, 1, 1, "", "expected a mapping of policy keys")])
    try:
        policy = structure(data, Policy)
    except Exception as error:  # every structuring failure becomes located problems
        raise PolicyError(parsed.problems(list(structure_problems(error)), source)) from None
    problems = _semantic_problems(policy)
    if problems:
        raise PolicyError(parsed.problems(problems, source))
    return _rooted(policy, root)


_POLICY_REVISION: ContextVar[str | None] = ContextVar("policy_revision", default=None)


@contextmanager
def policies_from(revision: str) -> Iterator[None]:
    """Within the block, :func:`find_policy` reads every policy file from the git
    ``revision`` (a pull request's base branch) instead of the work tree, so that a change
    cannot loosen the rules it is checked by."""
    token = _POLICY_REVISION.set(revision)
    try:
        yield
    finally:
        _POLICY_REVISION.reset(token)


def policy_revision() -> str | None:
    """The revision policies are read from (:func:`policies_from`), None for the work tree."""
    return _POLICY_REVISION.get()


def _rooted(policy: Policy, root: Path) -> Policy:
    policy.root = root
    policy._real_root = None
    return policy


def _semantic_problems(policy: Policy) -> list[tuple[FieldPath, str]]:
    patterns: list[tuple[FieldPath, str]] = [
        (("files",), policy.files),
        *(
            (("placeholders", index), pattern)
            for index, pattern in enumerate(policy.placeholders or [])
        ),
        *(
            (("extra_placeholders", index), pattern)
            for index, pattern in enumerate(policy.extra_placeholders)
        ),
        *(
            (("redactions", index, "pattern"), rule.pattern)
            for index, rule in enumerate(policy.redactions)
        ),
    ]
    problems: list[tuple[FieldPath, str]] = []
    for path, pattern in patterns:
        try:
            compile_linear(pattern)
        except PatternError as error:
            problems.append((path, str(error)))
    for profile, by_status in policy.required_sections.items():
        for status, sections in by_status.items():
            for index, section in enumerate(sections):
                if section not in SECTION_NAMES:
                    path = ("required_sections", profile.value, status.value, index)
                    problems.append((path, f"no section {shown(section)} in the document model"))
    seen: set[Classification] = set()
    for index, level in enumerate(policy.labels):
        for label in level:
            if label in seen:
                problems.append((("labels", index), f"{label.value} is listed twice"))
            seen.add(label)
    problems += _severity_level_problems(policy.severity_levels)
    problems += regime_problems(policy.notification_regimes)
    for section in policy.section_labels:
        if section not in SECTION_NAMES:
            message = f"no section {shown(section)} in the document model"
            problems.append((("section_labels", section), message))
    problems += _rule_id_problems(policy)
    if not 0 < policy.max_file_bytes <= MAX_FILE_BYTES_LIMIT:
        problems.append((("max_file_bytes",), f"must be from 1 to {MAX_FILE_BYTES_LIMIT}"))
    templates_problem = policy.templates is not None and _templates_problem(policy.templates)
    if templates_problem:
        problems.append((("templates",), templates_problem))
    ticket_url_problem = policy.ticket_url and _ticket_url_problem(policy.ticket_url)
    if ticket_url_problem:
        problems.append((("ticket_url",), ticket_url_problem))
    return problems


def _severity_level_problems(levels: list[SeverityLevel]) -> list[tuple[FieldPath, str]]:
    """Each level named once, and each of the profiles' levels covered by one level at most:
    else an incident would have two places on the scale."""
    problems: list[tuple[FieldPath, str]] = []
    names: set[str] = set()
    covered: dict[Severity, str] = {}
    for index, level in enumerate(levels):
        if not level.name.strip() or level.name in names:
            why = "is named twice" if level.name in names else "needs a name"
            problems.append((("severity_levels", index, "name"), f"the level {why}"))
        names.add(level.name)
        for place, severity in enumerate(level.covers):
            if severity in covered:
                message = f"{severity.value} is already covered by {shown(covered[severity])}"
                problems.append((("severity_levels", index, "covers", place), message))
            covered.setdefault(severity, level.name)
    return problems


def _rule_id_problems(policy: Policy) -> list[tuple[FieldPath, str]]:
    """Rule ids and prefixes that name no rule: a typo would silently run or skip nothing."""
    from postmortem.checks.registry import RULES

    problems: list[tuple[FieldPath, str]] = []
    for rule in policy.levels:
        if rule not in RULES:
            message = f"no rule {shown(rule)}{did_you_mean(rule, RULES)}"
            problems.append((("levels", rule), message))
    for key in ("select", "ignore"):
        for index, prefix in enumerate(getattr(policy, key)):
            if not any(rule.startswith(prefix) for rule in RULES):
                message = (
                    f"{shown(prefix)} is no rule id or prefix of one{did_you_mean(prefix, RULES)}"
                )
                problems.append(((key, index), message))
    return problems


def _templates_problem(folder: str) -> str | None:
    """Layouts are read from inside the repository only: a relative path that stays in it."""
    if PurePosixPath(folder).is_absolute() or PureWindowsPath(folder).anchor:
        return f"{shown(folder)} is absolute; name a folder inside the repository, e.g. layouts"
    if ".." in re.split(r"[/\\]", folder):
        return f"{shown(folder)} leads out of the repository (..); name a folder inside it"
    if not folder.strip():
        return "name a folder inside the repository, e.g. layouts"
    return None


def _ticket_url_problem(pattern: str) -> str | None:
    if pattern.count("{key}") != 1:
        return (
            f"{shown(pattern)} must contain {{key}} exactly once, where the ticket key goes"
            " (e.g. https://jira.example.com/browse/{key})"
        )
    try:
        parts = urlsplit(pattern)
    except ValueError:  # a malformed IPv6 host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return f"not an http(s) URL: {shown(pattern)}"
    return None


def find_policy(
    document: str | os.PathLike[str], known: dict[Path, Policy] | None = None
) -> Policy:
    """The policy that governs ``document``: the nearest ``.postmortem.yaml`` above it,
    looking no higher than the git work tree; the defaults if there is none. Inside
    :func:`policies_from`, the policy files are those of that revision.

    ``known`` remembers the answer per directory across calls of one run.
    """
    known = {} if known is None else known
    revision = _POLICY_REVISION.get()
    directory = Path(document).absolute().parent
    visited = []
    while directory not in known:
        visited.append(directory)
        candidate = directory / POLICY_FILE
        if revision is None and candidate.is_file():
            known[directory] = load_policy(candidate)
        elif revision is not None and (text := _policy_at(revision, directory)) is not None:
            known[directory] = policy_from_text(text, f"{revision}:{candidate}", directory)
        elif (directory / ".git").exists() or directory.parent == directory:
            known[directory] = _rooted(Policy(), directory)
        else:
            directory = directory.parent
    for seen in visited:
        known[seen] = known[directory]
    return known[directory]


def _policy_at(revision: str, directory: Path) -> str | None:
    """The text of the policy file in ``directory`` at ``revision``, None if it has none."""
    from postmortem.staged import file_at_revision

    content = file_at_revision(directory, revision, POLICY_FILE)
    if content is None:
        return None
    try:
        return decode_text(content, f"{revision}:{directory / POLICY_FILE}")
    except DocumentError as error:
        raise PolicyError(error.problems) from None


def read_governed(document: str | os.PathLike[str], policy: Policy) -> str:
    """The text of ``document`` as its policy allows: within the size limit, and inside the
    repository (a symbolic link out of it is refused)."""
    return read_text(document, max_bytes=policy.max_file_bytes, within=policy.real_root())


def load_governed(document: str | os.PathLike[str], policy: Policy) -> PostMortem:
    """The document at ``document``, read as its policy allows, its ticket keys linked through
    the policy's ``ticket_url``."""
    return loads(read_governed(document, policy), os.fspath(document), ticket_url=policy.ticket_url)


def relative_to_root(document: str | os.PathLike[str], policy: Policy) -> str:
    """``document`` as a POSIX path relative to the policy's root, for path rules; ``..`` in it
    is resolved as the file system resolves it (``private/../public/x.yaml`` is under
    ``public/``), the document's own name kept."""
    path = Path(document)
    absolute = Path(os.path.realpath(path.absolute().parent)) / path.name
    try:
        return PurePosixPath(absolute.relative_to(policy.real_root())).as_posix()
    except ValueError:
        return absolute.as_posix()
