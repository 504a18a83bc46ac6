"""The site's pages from the HTML templates shipped in this package (never a user's), with
autoescaping on: every value a template prints is escaped unless it is HTML this package
made (the body, the charts), and a page runs only the package's own script files, which
its Content-Security-Policy enforces."""

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

__all__ = ["ASSETS", "CONTENT_SECURITY_POLICY", "render_page", "script_assignment"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'"
)

ASSETS = Path(__file__).parent / "assets"

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_environment: "jinja2.Environment | None" = None


def _xml_text(value: object) -> str:
    """Text that XML 1.0 can hold: the control characters it forbids dropped."""
    return _XML_INVALID.sub("", str(value))


def _templates() -> "jinja2.Environment":
    global _environment
    if _environment is None:
        import jinja2

        _environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        _environment.filters["xml_text"] = _xml_text
    return _environment


def render_page(template: str, **variables: Any) -> str:
    """The page ``template`` with ``variables``, every page's common ones included."""
    return _templates().get_template(template).render(csp=CONTENT_SECURITY_POLICY, **variables)


_UNSAFE_IN_SCRIPT = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_assignment(name: str, value: object) -> str:
    """A script that sets ``window.<name>`` to ``value`` as JSON, with ``<``, ``>``, ``&``
    and the line separators U+2028 and U+2029 escaped: no ``</script>`` or ``<!--`` can end
    or bend the script wherever it is included, and older parsers see no line break inside
    a string."""
    data = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    escaped = re.sub("[<>&\u2028\u2029]", lambda match: _UNSAFE_IN_SCRIPT[match.group()], data)
    return f'"use strict";\nwindow.{name} = {escaped};\n'
