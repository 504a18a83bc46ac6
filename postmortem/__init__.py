"""postmortem: incident post-mortems as typed, validated YAML documents kept in git."""

from postmortem._version import __version__
from postmortem.errors import DocumentError, PostMortemError, Problem, UsageError
from postmortem.history import DocumentHistory, Version, histories, history
from postmortem.model import *  # noqa: F403
from postmortem.model import __all__ as _model_names
from postmortem.profiles import PROFILES, Profile, SectionSpec, get_profile
from postmortem.schema import json_schema
from postmortem.yaml_io import dump, dumps, edit, load, loads

__all__ = [
    "PROFILES",
    "DocumentError",
    "DocumentHistory",
    "PostMortemError",
    "Problem",
    "Profile",
    "SectionSpec",
    "UsageError",
    "Version",
    "__version__",
    "dump",
    "dumps",
    "edit",
    "get_profile",
    "histories",
    "history",
    "json_schema",
    "load",
    "loads",
    *_model_names,
]
