"""The commands that set a repository up or describe the tool itself: ``init``, ``schema``,
``rules``, ``profiles`` and ``completion``."""

import argparse
import json
import sys
from pathlib import Path

from postmortem.cli.output import output_state, write_output
from postmortem.model import ProfileName
from postmortem.reporting import ExitCode

__all__ = ["run_completion", "run_init", "run_profiles", "run_rules", "run_schema"]


def run_init(args: argparse.Namespace) -> int:
    from postmortem.init import GITIGNORE, INCIDENTS_FOLDER, first_free_incident, init_repository

    done = init_repository(args.directory, hooks_repo=args.hooks_repo, hooks_rev=args.hooks_rev)
    if not done.changed:
        print(f"{done.directory}: already set up; nothing changed")
    elif done.git_initialised:
        print(f"{done.directory}: set up, a new git repository")
    else:
        print(f"{done.directory}: set up")
    for name in done.created:
        print(f"  created   {name}")
    if done.appended:
        print(f"  appended  {', '.join(done.appended)} to {GITIGNORE}")
    for name in done.kept:
        print(f"  kept      {name} (it exists; not changed)")
    incident = first_free_incident(done.directory)
    where = "" if done.directory.resolve() == Path.cwd().resolve() else f" (in {done.directory})"
    print(f"Next{where}:")
    print(
        f"  postmortem new {INCIDENTS_FOLDER}/{incident}.yaml --profile postmortem --id {incident}"
    )
    print(f"      (profiles: {', '.join(name.value for name in ProfileName)})")
    print("  pre-commit install      (after pip install pre-commit)")
    print(f"  git add {' '.join(done.files)} && git commit -m 'Incidents repository'")
    return ExitCode.CLEAN


def run_schema(args: argparse.Namespace) -> int:
    from postmortem.schema import json_schema, reference_markdown

    output = output_state(args.output) if args.output else None
    if args.format == "markdown":
        text = reference_markdown()
    else:
        text = json.dumps(json_schema(), indent=2) + "\n"
    if output is not None:
        write_output(output, text)
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


def run_rules(args: argparse.Namespace) -> int:
    from postmortem.checks.registry import RULES, rules_markdown

    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return ExitCode.CLEAN
    for rule in RULES.values():
        hooks = ",".join(rule.hooks)
        print(f"{rule.id}  {rule.level.value:<7}  {hooks:<36} {rule.summary}")
    return ExitCode.CLEAN


def run_profiles(args: argparse.Namespace) -> int:
    from postmortem.profiles import PROFILES

    for profile in PROFILES.values():
        print(f"{profile.name.value}: {profile.title} ({profile.severity_scale.value} scale)")
        print(f"  {profile.description}")
        for section in profile.sections:
            required = "required" if section.required else "optional"
            print(f"  - {section.field:<22} {required:<9} {section.heading}")
        print()
    print("Required sections apply once a document leaves Draft; a Draft needs its summary.")
    return ExitCode.CLEAN


def run_completion(args: argparse.Namespace) -> int:
    """The completion script of ``args.parser``, the parser the command line was read with."""
    from postmortem.completion import completion_script

    parser: argparse.ArgumentParser = args.parser
    sys.stdout.write(completion_script(args.shell, parser))
    return ExitCode.CLEAN
