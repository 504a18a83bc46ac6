"""``postmortem init``: an incidents repository ready in one command.

It writes the policy (every key commented out with its default), the pre-commit
configuration pinned to the running version, the JSON Schema and the editor settings
that bind it, the incidents folder with a short guide, and the ``.gitignore`` lines;
and it runs ``git init`` where there is no repository yet. It never replaces a file
that exists, so a second run changes nothing.
"""

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import strip_optional
from postmortem._version import __version__
from postmortem.errors import DocumentError, UsageError
from postmortem.files import FileState, decode_text, file_state, write_atomic
from postmortem.model import ProfileName
from postmortem.policy import POLICY_FILE, Policy

__all__ = [
    "GITIGNORE",
    "GITIGNORE_LINES",
    "INCIDENTS_FOLDER",
    "PRE_COMMIT_CONFIG",
    "SCHEMA_FILE",
    "Initialised",
    "first_free_incident",
    "hook_ids",
    "hooks_repository",
    "init_repository",
    "policy_text",
    "pre_commit_config",
    "schema_reference",
]

SCHEMA_FILE = "postmortem.schema.json"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
VSCODE_SETTINGS = ".vscode/settings.json"
INCIDENTS_FOLDER = "incidents"
INCIDENTS_GUIDE = f"{INCIDENTS_FOLDER}/README.md"
GITIGNORE = ".gitignore"
GITIGNORE_LINES: tuple[str, ...] = (".*.tmp", ".venv/")
"""What git should not see: a write interrupted before its atomic rename, a virtualenv."""

_GITIGNORE_NOTE = "# postmortem: interrupted atomic writes, the virtual environment"
_OPTIONAL_HOOKS = {
    "postmortem-check": "instead of the three above: every check in one process",
    "postmortem-render": "optional: writes NAME.md beside each NAME.yaml",
}
_WIDTH = 80
_YAML_WORDS = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null"])
"""Words a YAML reader takes for a boolean or null rather than a string."""


@attrs.frozen
class Initialised:
    """What ``init_repository`` did, paths relative to ``directory``."""

    directory: Path
    created: tuple[str, ...]
    kept: tuple[str, ...]
    appended: tuple[str, ...]
    """Lines added to an existing ``.gitignore``."""
    git_initialised: bool

    @property
    def changed(self) -> bool:
        return bool(self.created or self.appended or self.git_initialised)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file it looks after, written now or before."""
        return (*self.created, *self.kept, *((GITIGNORE,) if self.appended else ()))


def init_repository(
    directory: str | os.PathLike[str] = ".",
    *,
    hooks_repo: str | None = None,
    hooks_rev: str | None = None,
) -> Initialised:
    """Make ``directory`` (created if missing) a ready incidents repository.

    ``hooks_repo`` and ``hooks_rev`` replace the repository and revision the pre-commit
    hooks come from (by default this package's repository at ``v<version>``). A folder
    outside any git work tree gets ``git init``; one inside a work tree whose root is
    elsewhere is refused. Raises :class:`UsageError` (one line) for that, and when
    ``directory`` is a file or cannot be written.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: is a file, not a folder")
    git = shutil.which("git")
    if git is None:
        raise UsageError("git is not installed; postmortem keeps post-mortems in git")
    needs_git_init = _outside_any_work_tree(git, root)
    texts: dict[str, Callable[[], str]] = {
        POLICY_FILE: policy_text,
        PRE_COMMIT_CONFIG: lambda: pre_commit_config(hooks_repo, hooks_rev),
        SCHEMA_FILE: _schema_text,
        VSCODE_SETTINGS: _vscode_settings,
        INCIDENTS_GUIDE: _incidents_guide,
    }
    missing: dict[str, tuple[str, FileState]] = {}
    kept = []
    for name, make in texts.items():
        target = root / name
        _check_room(root, name)
        if target.exists() or target.is_symlink():
            kept.append(name)
        else:
            missing[name] = make(), file_state(target)
    _check_room(root, GITIGNORE)
    gitignore_existed = (root / GITIGNORE).exists()
    gitignore, appended, gitignore_state = _gitignore_text(root / GITIGNORE)
    # Everything is read, checked and made before the first write; a file that appears or
    # changes meanwhile is not overwritten (ConcurrentEditError).
    try:
        for name, (text, state) in missing.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(root / name, text, expected=state)
        if gitignore is not None:
            write_atomic(root / GITIGNORE, gitignore, expected=gitignore_state)
    except OSError as error:
        where = error.filename or root
        raise UsageError(f"{where}: cannot write: {error.strerror or error}") from None
    created = list(missing)
    if not appended:
        kept.append(GITIGNORE)
    elif not gitignore_existed:
        created.append(GITIGNORE)
    if needs_git_init:
        _git(git, root, "init", "-q")
    return Initialised(
        directory=root,
        created=tuple(created),
        kept=tuple(kept),
        appended=appended if gitignore_existed else (),
        git_initialised=needs_git_init,
    )


def first_free_incident(root: str | os.PathLike[str]) -> str:
    """The first identifier ``INC-0001``, ``INC-0002``, ... with no document in the
    incidents folder of ``root``."""
    number = 1
    while (Path(root) / INCIDENTS_FOLDER / f"INC-{number:04d}.yaml").exists():
        number += 1
    return f"INC-{number:04d}"


def _check_room(root: Path, name: str) -> None:
    """A usage error if a folder stands where the file ``name`` belongs, or a file where
    one of its folders belongs."""
    target = root / name
    if target.is_dir():
        raise UsageError(f"{target}: is a folder where {name} belongs")
    for folder in Path(name).parents:
        if (root / folder).exists() and not (root / folder).is_dir():
            raise UsageError(f"{root / folder}: is a file where a folder belongs")


def _outside_any_work_tree(git: str, root: Path) -> bool:
    """Whether ``root`` (or, if missing, the folder it would be made in) is outside any git
    work tree; a usage error if it is inside one rooted elsewhere, since the hooks'
    configuration and the policy belong at the root of a work tree."""
    existing = next(folder for folder in (root, *root.absolute().parents) if folder.is_dir())
    result = subprocess.run(
        [git, "rev-parse", "--show-toplevel"],
        cwd=existing,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return True
    top = Path(result.stdout.strip())
    if top.resolve() != root.resolve():
        raise UsageError(
            f"{root}: inside the git repository at {top}; run postmortem init there, "
            "or give a folder outside it"
        )
    return False


def _git(git: str, root: Path, *args: str) -> None:
    result = subprocess.run([git, *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"{root}: git {' '.join(args)}: {reason}")


def hooks_repository() -> str:
    """Where the pre-commit hooks come from: the ``Repository`` project URL of the
    installed distribution that holds this package."""
    entries: list[str] = _distribution().metadata.get_all("Project-URL") or []
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("repository", "source", "source code") and url.strip():
            return url.strip()
    raise UsageError(
        "the installed postmortem names no repository URL; pass --hooks-repo URL "
        "to say where the pre-commit hooks come from"
    )


def hook_ids() -> list[str]:
    """The pre-commit hook ids: the package's console scripts that run a hook."""
    entry_points = _distribution().entry_points.select(group="console_scripts")
    return sorted(
        entry.name for entry in entry_points if entry.value.startswith("postmortem.hooks:")
    )


def _distribution() -> importlib.metadata.Distribution:
    """The installed distribution that holds this package, whatever its name."""
    names = importlib.metadata.packages_distributions().get("postmortem")
    if names:
        return importlib.metadata.distribution(names[0])
    # An editable install lists no package files: the distribution of our command.
    for entry in importlib.metadata.entry_points(group="console_scripts"):
        if entry.value == "postmortem.cli:main" and entry.dist is not None:
            return entry.dist
    raise UsageError(
        "postmortem is not installed as a package; pass --hooks-repo URL and --hooks-rev REV"
    )


def pre_commit_config(repo: str | None = None, rev: str | None = None) -> str:
    """``.pre-commit-config.yaml`` with every hook, from ``repo`` at ``rev``: by default
    this package's repository (:func:`hooks_repository`) at the running version."""
    repo = repo or hooks_repository()
    rev = rev or f"v{__version__}"
    ids = hook_ids()
    hooks = [f"      - id: {hook}" for hook in ids if hook not in _OPTIONAL_HOOKS]
    hooks += [
        f"      # - id: {hook}   # {_OPTIONAL_HOOKS[hook]}"
        for hook in ids
        if hook in _OPTIONAL_HOOKS
    ]
    header = f"""\
# The pre-commit hooks (https://pre-commit.com) of this incidents repository: run
# `pre-commit install` once in each clone, and every commit is checked.
# Written by `postmortem init` (postmortem {__version__}): `rev` pins the hooks to
# that release; `pre-commit autoupdate` moves it to the newest.
#
# A team that mirrors postmortem (an internal git server, a reviewed fork) points
# `repo` at its mirror and `rev` at a tag there:
#   repo: https://git.example.com/mirrors/postmortem
#   rev: v{__version__}
# (`postmortem init --hooks-repo URL --hooks-rev REV` writes that).
"""
    return (
        header
        + "repos:\n"
        + f"  - repo: {_scalar(repo)}\n    rev: {_scalar(rev)}\n    hooks:\n"
        + "".join(hook + "\n" for hook in hooks)
    )


def _scalar(text: str) -> str:
    """``text`` as a YAML value: bare if that reads back as the same string, else quoted."""
    bare = re.fullmatch(r"[A-Za-z/.][\w./:@~+-]*", text) and not re.search(r":(\s|$)", text)
    if bare and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)  # a JSON string is a double-quoted YAML string


def policy_text() -> str:
    """``.postmortem.yaml`` with every key of the policy commented out at its default,
    each under its description; it loads as the default policy."""
    from ruamel.yaml.comments import CommentedMap

    from postmortem.converter import unstructure
    from postmortem.yaml_io import emit_tree

    header = f"""\
# The policy of this incidents repository: what it demands of its post-mortems.
# Written by `postmortem init` (postmortem {__version__}). Every key is optional and
# shown below, commented out, at its default: uncomment a key to change it.
# `postmortem check` and the hooks read this file; a bad key or value is reported
# with its line and column. docs/policy.md in postmortem's repository has examples.
"""
    defaults = Policy()
    blocks = [header]
    for field in attrs.fields(Policy):
        if not field.init:
            continue
        description = _sentence(field.metadata["doc"]) + _item_description(field.type)
        value = _person_style(unstructure(getattr(defaults, field.name)))
        text = emit_tree(CommentedMap([(field.name, value)]))
        lines = textwrap.wrap(description, _WIDTH - 2) + text.splitlines()
        blocks.append("".join(f"# {line}\n" for line in lines))
    return "\n".join(blocks)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _item_description(field_type: Any) -> str:
    """For a list of rules: each rule's keys and what they mean."""
    field_type = strip_optional(field_type)
    if get_origin(field_type) is not list or not attrs.has(get_args(field_type)[0]):
        return ""
    parts = []
    for field in attrs.fields(get_args(field_type)[0]):
        default = field.default
        shown = "" if default is attrs.NOTHING else f", default {json.dumps(_plain(default))}"
        parts.append(f"{field.name} ({field.metadata['doc']}{shown})")
    return " Each entry has " + ", ".join(parts[:-1]) + " and " + parts[-1] + "."


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _person_style(value: Any, nested: bool = False) -> Any:
    """Plain data laid out as a person writes a policy: a list of plain values, and a
    mapping of plain values inside a list, on one line each."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    value = _plain(value)
    if isinstance(value, list):
        sequence = CommentedSeq(_person_style(item, nested=True) for item in value)
        if not any(isinstance(item, list | dict) for item in value):
            sequence.fa.set_flow_style()
        return sequence
    if isinstance(value, dict):
        mapping = CommentedMap((key, _person_style(item, True)) for key, item in value.items())
        if nested and not any(isinstance(item, list | dict) for item in value.values()):
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, str) and ":" in value:
        return DoubleQuotedScalarString(value)  # "TLP:CLEAR": ruamel would leave it bare
    return value


def _schema_text() -> str:
    from postmortem.schema import json_schema

    return json.dumps(json_schema(), indent=2) + "\n"


def _vscode_settings() -> str:
    """Visual Studio Code's YAML extension: the schema for every document in the folder."""
    documents = [f"{INCIDENTS_FOLDER}/**/*.yaml", f"{INCIDENTS_FOLDER}/**/*.yml"]
    return json.dumps({"yaml.schemas": {f"./{SCHEMA_FILE}": documents}}, indent=2) + "\n"


def _incidents_guide() -> str:
    profiles = ", ".join(f"`{name.value}`" for name in ProfileName)
    return f"""\
# Incidents

One post-mortem per file, `INC-NNNN.yaml`, checked on every commit.

## Add a post-mortem

```sh
postmortem new {INCIDENTS_FOLDER}/INC-0042.yaml --profile postmortem --id INC-0042 --title "Outage"
```

The profile is the template it follows, one of:
{profiles}.

The new file has every section of its template, each with a comment saying what
belongs there and whether it is required; your editor completes and checks it
against `../{SCHEMA_FILE}`. Fill it in, then:

```sh
postmortem check {INCIDENTS_FOLDER}/INC-0042.yaml      # what the hooks will say
git add {INCIDENTS_FOLDER}/INC-0042.yaml && git commit -m "INC-0042: first draft"
```

The hooks refuse a commit that leaves a post-mortem incomplete or wrongly
labelled, naming the file, line, rule and field. `../{POLICY_FILE}` says what
this repository demands.

## Commands

```sh
postmortem render {INCIDENTS_FOLDER}/INC-0042.yaml         # Markdown in the template's layout
postmortem history --write {INCIDENTS_FOLDER}/INC-0042.yaml  # version table from git
postmortem index {INCIDENTS_FOLDER}                        # one row per post-mortem
postmortem actions {INCIDENTS_FOLDER} --overdue            # open follow-ups, file:line
postmortem stats {INCIDENTS_FOLDER}                        # time to detect and resolve
```
"""


def _gitignore_text(path: Path) -> tuple[str | None, tuple[str, ...], FileState]:
    """The text of ``path`` with the lines of GITIGNORE_LINES it lacks appended (None when
    it lacks none, or is a link, left alone), those lines, and the file as it was read."""
    state = file_state(path)
    if path.is_symlink():
        return None, (), state
    try:
        text = "" if state.data is None else decode_text(state.data, os.fspath(path))
    except DocumentError as error:
        raise UsageError(str(error.problems[0])) from None
    present = {line.strip().strip("/") for line in text.splitlines()}
    missing = tuple(line for line in GITIGNORE_LINES if line.strip("/") not in present)
    if not missing:
        return None, (), state
    addition = ([] if _GITIGNORE_NOTE in present else [_GITIGNORE_NOTE]) + list(missing)
    separator = "" if not text or text.endswith("\n") else "\n"
    return text + separator + "".join(line + "\n" for line in addition), missing, state


def schema_reference(document: str | os.PathLike[str]) -> str:
    """The JSON Schema a new ``document`` points editors at, relative to it: the nearest
    ``postmortem.schema.json`` above it within its git work tree (where ``postmortem init``
    puts it), else the one in the current directory."""
    folder = Path(document).absolute().parent
    for candidate in (folder, *folder.parents):
        if (candidate / SCHEMA_FILE).is_file():
            return os.path.relpath(candidate.resolve() / SCHEMA_FILE, folder.resolve())
        if (candidate / ".git").exists():
            break
    return os.path.relpath(Path.cwd().resolve() / SCHEMA_FILE, folder.resolve())
