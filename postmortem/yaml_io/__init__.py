"""Reading and writing post-mortem YAML: fast validated loads, faithful edits, located errors.

Two ruamel.yaml modes work together. Loading parses with the C-accelerated safe loader
and structures the plain data (:mod:`~postmortem.yaml_io.reading`), which also locates
every problem. Editing parses in round-trip mode (:mod:`~postmortem.yaml_io.roundtrip`)
and merges the changed model back into the node tree (:mod:`~postmortem.yaml_io.editing`),
the comment and blank lines staying where the person wrote them
(:mod:`~postmortem.yaml_io.placement`), so comments, key order, quoting and block style
of everything the caller did not change stay as they were; migrating a document of an older
schema is such an edit (:mod:`~postmortem.yaml_io.migrating`). Writing a document anew is
:mod:`~postmortem.yaml_io.writing`.
"""

from postmortem.yaml_io.editing import edit, edit_text
from postmortem.yaml_io.migrating import migrate_text
from postmortem.yaml_io.reading import (
    Parsed,
    compose,
    document_from_parsed,
    load,
    loads,
    located_problems,
    parse,
    parse_with_positions,
)
from postmortem.yaml_io.roundtrip import emit_tree, parse_roundtrip
from postmortem.yaml_io.writing import dump, dumps

__all__ = [
    "Parsed",
    "compose",
    "document_from_parsed",
    "dump",
    "dumps",
    "edit",
    "edit_text",
    "emit_tree",
    "load",
    "loads",
    "located_problems",
    "migrate_text",
    "parse",
    "parse_roundtrip",
    "parse_with_positions",
]
