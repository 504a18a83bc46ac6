"""CI runs exactly the commands the README gives a new user."""

import re

from tests.conftest import ROOT


def test_ci_runs_the_readme_commands_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", section, flags=re.DOTALL)
    assert len(commands) == 2
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in commands:
        assert command in ci_lines
    assert ci_lines.index(commands[0]) < ci_lines.index(commands[1])
