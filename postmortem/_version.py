"""The one place the version is written: the distribution, ``postmortem --version``, the docs and
the JSON Schema read it from here. Semantic versioning; between releases the version is the
next release's with ``.devN`` (the policy is in CHANGELOG.md)."""

__version__ = "0.1.0.dev0"
