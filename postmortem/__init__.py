"""postmortem: incident post-mortems as typed, validated YAML documents kept in git.

The model classes are imported at once; the functions load their modules on first
use, so that a hook or a script pays only for what it uses. No name here is also the
name of a submodule: importing the submodule would replace it.
"""

import importlib
from typing import TYPE_CHECKING, Any

from postmortem._version import __version__
from postmortem.errors import (
    ConcurrentEditError,
    DocumentError,
    Finding,
    PolicyError,
    PostMortemError,
    Problem,
    UsageError,
)
from postmortem.model import *  # noqa: F403
from postmortem.model import __all__ as _model_names

if TYPE_CHECKING:
    from postmortem.audiences import Labels, export
    from postmortem.checks import check_file, check_text
    from postmortem.history import DocumentHistory, Version, document_history, histories
    from postmortem.importer import Imported, import_markdown
    from postmortem.metrics import Durations, Milestones, durations, milestones
    from postmortem.profiles import PROFILES, Profile, SectionSpec, get_profile
    from postmortem.render import render as render_markdown
    from postmortem.reports import (
        IndexRow,
        OpenAction,
        Repository,
        Scanned,
        Stats,
        index_rows,
        open_actions,
        scan,
        stats,
    )
    from postmortem.schema import json_schema
    from postmortem.yaml_io import dump, dumps, edit, load, loads, migrate_text

_LAZY = {
    "Labels": "postmortem.audiences",
    "export": "postmortem.audiences",
    "check_file": "postmortem.checks",
    "check_text": "postmortem.checks",
    "Imported": "postmortem.importer",
    "import_markdown": "postmortem.importer",
    "Durations": "postmortem.metrics",
    "Milestones": "postmortem.metrics",
    "durations": "postmortem.metrics",
    "milestones": "postmortem.metrics",
    "render_markdown": "postmortem.render:render",
    "IndexRow": "postmortem.reports",
    "OpenAction": "postmortem.reports",
    "Repository": "postmortem.reports",
    "Scanned": "postmortem.reports",
    "Stats": "postmortem.reports",
    "index_rows": "postmortem.reports",
    "open_actions": "postmortem.reports",
    "scan": "postmortem.reports",
    "stats": "postmortem.reports",
    "DocumentHistory": "postmortem.history",
    "Version": "postmortem.history",
    "histories": "postmortem.history",
    "document_history": "postmortem.history",
    "PROFILES": "postmortem.profiles",
    "Profile": "postmortem.profiles",
    "SectionSpec": "postmortem.profiles",
    "get_profile": "postmortem.profiles",
    "json_schema": "postmortem.schema",
    "dump": "postmortem.yaml_io",
    "dumps": "postmortem.yaml_io",
    "edit": "postmortem.yaml_io",
    "load": "postmortem.yaml_io",
    "loads": "postmortem.yaml_io",
    "migrate_text": "postmortem.yaml_io",
}

__all__ = [
    "PROFILES",
    "ConcurrentEditError",
    "DocumentError",
    "DocumentHistory",
    "Durations",
    "Finding",
    "Imported",
    "IndexRow",
    "Labels",
    "Milestones",
    "OpenAction",
    "PolicyError",
    "PostMortemError",
    "Problem",
    "Profile",
    "Repository",
    "Scanned",
    "SectionSpec",
    "Stats",
    "UsageError",
    "Version",
    "__version__",
    "check_file",
    "check_text",
    "dump",
    "document_history",
    "dumps",
    "durations",
    "edit",
    "export",
    "get_profile",
    "histories",
    "import_markdown",
    "index_rows",
    "json_schema",
    "load",
    "loads",
    "migrate_text",
    "milestones",
    "open_actions",
    "render_markdown",
    "scan",
    "stats",
    *_model_names,
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'postmortem' has no attribute {name!r}")
    module, _, attribute = _LAZY[name].partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
