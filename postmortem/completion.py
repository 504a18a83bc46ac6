"""Shell completion scripts for bash, zsh and fish, written from the command line's own parser
so that they cannot fall behind it."""

import argparse
import shlex

import attrs

__all__ = ["SHELLS", "command_summaries", "completion_script"]


@attrs.frozen
class _Option:
    flags: tuple[str, ...]
    help: str
    choices: tuple[str, ...]
    takes_value: bool


@attrs.frozen
class _Command:
    name: str
    help: str
    options: tuple[_Option, ...]
    takes_paths: bool


def _commands(parser: argparse.ArgumentParser) -> list[_Command]:
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    commands = []
    for name, subparser in subparsers.choices.items():
        options = tuple(
            _Option(
                flags=tuple(action.option_strings),
                help=action.help or "",
                choices=tuple(str(choice) for choice in action.choices or ()),
                takes_value=action.nargs != 0,
            )
            for action in subparser._actions
            if action.option_strings and action.help != argparse.SUPPRESS
        )
        takes_paths = any(not action.option_strings for action in subparser._actions)
        commands.append(_Command(name, helps.get(name, ""), options, takes_paths))
    return commands


def _bash(program: str, commands: list[_Command]) -> str:
    names = " ".join(command.name for command in commands)
    cases = []
    for command in commands:
        flags = " ".join(flag for option in command.options for flag in option.flags)
        choices = "".join(
            f"            {'|'.join(option.flags)}) COMPREPLY=($(compgen -W "
            f'{shlex.quote(" ".join(option.choices))} -- "$cur")); return;;\n'
            for option in command.options
            if option.choices
        )
        cases.append(
            f"        {command.name})\n"
            f'            case "$prev" in\n{choices}            esac\n'
            f'            [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W {shlex.quote(flags)} '
            f'-- "$cur"));;\n'
        )
    function = f"_{program.replace('-', '_')}"
    return (
        f'# bash completion for {program}: eval "$({program} completion bash)"\n'
        f"{function}() {{\n"
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"\n'
        "    COMPREPLY=()\n"
        '    if [[ "$COMP_CWORD" -eq 1 ]]; then\n'
        f'        COMPREPLY=($(compgen -W "{names} --help --version" -- "$cur"))\n'
        "        return\n"
        "    fi\n"
        '    case "${COMP_WORDS[1]}" in\n'
        f"{''.join(cases)}"
        "    esac\n"
        "}\n"
        f"complete -o default -F {function} {program}\n"
    )


def _zsh_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]")


def _zsh(program: str, commands: list[_Command]) -> str:
    described = "\n".join(
        f"        '{command.name}:{_zsh_quote(command.help)}'" for command in commands
    )
    cases = []
    for command in commands:
        specs = []
        for option in command.options:
            value = ""
            if option.choices:
                value = f":value:({' '.join(option.choices)})"
            elif option.takes_value:
                value = ":value:_files"
            for flag in option.flags:
                specs.append(f"'{flag}[{_zsh_quote(option.help)}]{value}'")
        if command.takes_paths:
            specs.append("'*:path:_files'")
        cases.append(f"        {command.name}) _arguments {' '.join(specs)} ;;")
    body = "\n".join(cases)
    return (
        f"#compdef {program}\n"
        f"# zsh completion for {program}: {program} completion zsh > ~/.zfunc/_{program}\n"
        f"_{program}() {{\n"
        "    local -a commands\n"
        "    commands=(\n"
        f"{described}\n"
        "    )\n"
        "    if (( CURRENT == 2 )); then\n"
        "        _describe command commands\n"
        "        return\n"
        "    fi\n"
        "    shift words; (( CURRENT-- ))\n"
        '    case "$words[1]" in\n'
        f"{body}\n"
        "    esac\n"
        "}\n"
        f'if [[ "$funcstack[1]" == "_{program}" ]]; then _{program} "$@"; '
        f"else compdef _{program} {program}; fi\n"
    )


def _fish(program: str, commands: list[_Command]) -> str:
    names = " ".join(command.name for command in commands)
    lines = [
        f"# fish completion for {program}: {program} completion fish | source",
        f"complete -c {program} -f -n 'not __fish_seen_subcommand_from {names}'"
        " -l version -d 'show the version'",
    ]
    for command in commands:
        lines.append(
            f"complete -c {program} -f -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {command.name} -d {shlex.quote(command.help)}"
        )
        condition = f"-n '__fish_seen_subcommand_from {command.name}'"
        for option in command.options:
            flags = " ".join(
                f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"
                for flag in option.flags
            )
            value = ""
            if option.choices:
                value = f" -x -a {shlex.quote(' '.join(option.choices))}"
            elif option.takes_value:
                value = " -r"
            lines.append(
                f"complete -c {program} {condition} {flags}{value} -d {shlex.quote(option.help)}"
            )
    return "\n".join(lines) + "\n"


SHELLS = {"bash": _bash, "zsh": _zsh, "fish": _fish}
"""The shells a completion script is written for."""


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script of ``parser``'s program for ``shell``."""
    return SHELLS[shell](parser.prog, _commands(parser))


def command_summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each command of ``parser`` with its one-line help."""
    return {command.name: command.help for command in _commands(parser)}
