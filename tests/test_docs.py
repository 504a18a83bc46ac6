"""The Python examples in the documentation run, in order, one namespace per page."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = sorted((ROOT / "docs").glob("*.md"))


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


@pytest.mark.parametrize(
    "page", [page for page in PAGES if _python_blocks(page)], ids=lambda page: page.name
)
def test_documentation_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in _python_blocks(page):
        exec(compile(block, str(page), "exec"), namespace)


def test_the_worked_examples_pass_mypy_strict(tmp_path: Path) -> None:
    from mypy import api

    script = tmp_path / "user_script.py"
    script.write_text("\n".join(_python_blocks(ROOT / "docs" / "examples.md")), encoding="utf-8")
    out, err, status = api.run(
        ["--strict", "--cache-dir", str(tmp_path / ".mypy_cache"), str(script)]
    )
    assert status == 0, out + err


def test_the_schema_reference_is_current() -> None:
    from postmortem.schema import reference_markdown

    written = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), (
        "docs/schema.md is stale: postmortem schema --format markdown -o docs/schema.md"
    )
