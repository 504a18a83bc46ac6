"""Sphinx configuration: furo theme, MyST Markdown pages, API reference from docstrings."""

from postmortem import __version__

project = "postmortem"
author = "postmortem developers"
copyright = "2026, postmortem developers"  # noqa: A001
release = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

html_theme = "furo"
html_title = f"postmortem {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
