"""Where layouts render: one sandboxed Jinja2 environment, and the bounds on a team's layouts.

Every layout renders in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`,
where a model object shows only its fields: a layout reads the document and calls the
helpers, and can reach no Python attribute (``__class__``), no method that changes what it
is called on, nothing outside.

A team's layouts (the policy's ``templates`` folder) come from whoever wrote the commit, so
they are held to more: each file is read only if its real path (links resolved) lies inside
the repository, and they render in a worker process, forked once per run, that is bounded
per document in time (:data:`LAYOUT_SECONDS`), memory (:data:`LAYOUT_MEMORY`; on Linux)
and output (:data:`LAYOUT_OUTPUT`). Whatever goes wrong in one (a syntax error, an
undefined name, a missing include, an unsafe attribute, a bound) is a :class:`LayoutError`
located in the layout. The built-in layouts are ours, and render in this process.
"""

import atexit
import json
import os
import pickle
import select
import signal
import time
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import attrs
import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from postmortem.errors import DocumentError, LayoutError, Problem
from postmortem.files import decode_text, read_text
from postmortem.model import DocumentStatus, Link, Money, PostMortem
from postmortem.model.common import field_label
from postmortem.render.markdown import escape_inline, format_value, render_value
from postmortem.render.markdown import table as markdown_table

__all__ = ["LAYOUT_MEMORY", "LAYOUT_OUTPUT", "LAYOUT_SECONDS", "render_layout"]

LAYOUT_SECONDS = 1.0
"""Longest a team's layout may take to render a small document; as long again for each
megabyte of the document (the built-in layouts render one of 5 MB, the largest read, in
about a second)."""
LAYOUT_MEMORY = 128 * 1024 * 1024
"""Most memory (bytes of address space) a team's layout may take beyond the worker's own."""
LAYOUT_OUTPUT = 16 * 1024 * 1024
"""Most Markdown (characters) a layout may write for one document."""
_LAYOUT_BYTES = 1024 * 1024
"""Largest layout file read."""
_GRACE = 0.25
"""How much longer than LAYOUT_SECONDS the worker has to say where it stopped a layout."""


def render_layout(
    name: str, variables: dict[str, Any], templates: str | None, within: str | None
) -> str:
    """The layout ``name`` rendered with ``variables``: a built-in one here, or one of a
    team's folder ``templates`` (read only inside the folder ``within``) in the bounded
    worker. :class:`LayoutError` if a team's layout fails."""
    if templates is None:
        return _generate(_environment(None), name, variables)
    if not hasattr(os, "fork"):  # Windows
        message = "a team's layouts render only where they can be bounded (Linux, macOS)"
        raise LayoutError(Problem(_shown_path(templates), 0, 0, "", message))
    return _worker(_team_layouts(templates, within or templates)).render(name, variables)


def _team_layouts(templates: str, within: str) -> "TeamLayouts":
    """Where a team's layouts are read: the folder in the work tree, or, while policies are
    read from a git revision (``--policy-from``), the folder as that revision has it."""
    from postmortem.policy import policy_revision

    revision = policy_revision()
    if revision is None:
        return (templates, within)
    from postmortem.staged import files_at_revision

    found = files_at_revision(Path(templates).absolute(), revision, _LAYOUT_BYTES)
    texts = []
    for name, content in sorted(found.items()):
        try:
            texts.append((name, decode_text(content, f"{revision}:{templates}/{name}")))
        except DocumentError as error:
            raise LayoutError(error.problems[0]) from None
    return (f"{revision}:{templates}", tuple(texts))


TeamLayouts = tuple[str, str] | tuple[str, tuple[tuple[str, str], ...]]
"""A team's layouts: (folder, the folder they must lie in) in the work tree, or (where,
((name, text), ...)) read from a git revision."""


class _Markdown(str):
    """Text that is already Markdown and must not be escaped again."""


def _finalize(value: Any) -> str:
    if isinstance(value, _Markdown):
        return value
    if value is None:
        return ""
    return escape_inline(format_value(value))


def _section(doc: PostMortem, name: str, level: int = 3) -> _Markdown:
    field = attrs.fields_dict(PostMortem)[name]
    draft = doc.metadata.status is DocumentStatus.DRAFT
    return _Markdown(render_value(getattr(doc, name), field.type, level, draft=draft))


def _value(
    owner: Any, name: str, level: int = 3, labels: dict[str, str] | None = None
) -> _Markdown:
    field = attrs.fields_dict(type(owner))[name]
    verbatim = bool(field.metadata.get("verbatim"))
    rendered = render_value(
        getattr(owner, name), field.type, level, verbatim=verbatim, labels=labels
    )
    return _Markdown(rendered)


def _section_label(name: str) -> str:
    return field_label(attrs.fields_dict(PostMortem)[name])


def _table(rows: list[Any], *columns: tuple[str, str | None]) -> _Markdown:
    return _Markdown(markdown_table(rows, list(columns)))


def _key(label: str, value: Any) -> _Markdown:
    """A ``**Label**: value`` line; nothing when there is no value."""
    if value is None or value == [] or value == "":
        return _Markdown("")
    rendered: str
    if isinstance(value, _Markdown):
        rendered = value
    elif isinstance(value, Link | Money):
        rendered = render_value(value, type(value), 0)  # a link as a link, money with currency
    else:
        rendered = escape_inline(format_value(value))
    return _Markdown(f"**{escape_inline(label)}**: {rendered}")


class _LayoutEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with model objects (attrs classes) showing their fields and nothing else."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind: type = type(obj)
        fields = _field_names(kind)
        if fields is not None:
            return attr in fields
        return bool(super().is_safe_attribute(obj, attr, value))


@cache
def _field_names(kind: type) -> frozenset[str] | None:
    """The field names of an attrs class; None for any other class."""
    return frozenset(field.name for field in attrs.fields(kind)) if attrs.has(kind) else None


class _RevisionLoader(jinja2.BaseLoader):
    """Layouts read from a git revision: their texts by name, nothing else."""

    def __init__(self, where: str, texts: tuple[tuple[str, str], ...]) -> None:
        self.where = where
        self.texts = dict(texts)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        name = "/".join(split_template_path(template))
        if name not in self.texts:
            raise jinja2.TemplateNotFound(template)
        return self.texts[name], f"{self.where}/{name}", lambda: True


class _RepositoryLoader(jinja2.BaseLoader):
    """Layouts in ``folder``, each read only if its real path lies inside ``within``."""

    def __init__(self, folder: str, within: str) -> None:
        self.folder = folder
        self.within = within

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        path = os.path.join(self.folder, *split_template_path(template))
        if not os.path.lexists(path):  # the built-in layouts are asked next
            raise jinja2.TemplateNotFound(template)
        if not os.path.isfile(path):
            raise LayoutError(Problem(_shown_path(path), 0, 0, "", "not a regular file"))
        try:
            text = read_text(path, max_bytes=_LAYOUT_BYTES, within=self.within)
        except DocumentError as error:
            problem = error.problems[0]
            raise LayoutError(attrs.evolve(problem, source=_shown_path(path))) from None
        modified = os.path.getmtime(path)
        return text, path, lambda: os.path.isfile(path) and os.path.getmtime(path) == modified


@cache
def _environment(team: TeamLayouts | None) -> jinja2.Environment:
    """The environment layouts render in: the built-in layouts, after a ``team``'s
    (:data:`TeamLayouts`) if there are any."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("postmortem.render", "templates")]
    if team is not None:
        where, found = team
        team_loader = (
            _RepositoryLoader(where, found)
            if isinstance(found, str)
            else _RevisionLoader(where, found)
        )
        loaders.insert(0, team_loader)
    layouts = _LayoutEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    layouts.globals.update(
        section=_section,
        value=_value,
        table=_table,
        key=_key,
        label=_section_label,
        markdown=_Markdown,
    )
    layouts.filters["inline"] = lambda text: _Markdown(escape_inline(format_value(text)))
    return layouts


def _generate(layouts: jinja2.Environment, name: str, variables: dict[str, Any]) -> str:
    """The layout rendered, refused once it has written more than :data:`LAYOUT_OUTPUT`."""
    template = layouts.get_template(name)
    chunks = []
    size = 0
    for chunk in template.root_render_func(template.new_context(variables)):
        size += len(chunk)
        if size > LAYOUT_OUTPUT:
            raise _Bound(f"wrote more than {LAYOUT_OUTPUT // 2**20}M characters of Markdown")
        chunks.append(chunk)
    return "".join(chunks)


class _Bound(Exception):
    """A team's layout went past a bound; the message says which."""


def _seconds(request: int) -> float:
    """How long a layout may take for a request of ``request`` bytes."""
    return LAYOUT_SECONDS * (1 + request / 2**20)


def _too_slow(request: int) -> str:
    return f"did not finish within {_seconds(request):.1f} s"


def _problem(error: Exception, fallback: str) -> Problem:
    """Where in the layouts ``error`` arose (the innermost template line), and what it is."""
    if isinstance(error, LayoutError):
        return error.problem
    source, line = fallback, 0
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        source, line = error.filename, error.lineno
    else:
        trace = error.__traceback__
        while trace is not None:
            template = trace.tb_frame.f_globals.get("__jinja_template__")
            if template is not None and template.filename:
                source = template.filename
                line = template.get_corresponding_lineno(trace.tb_lineno)
            trace = trace.tb_next
    return Problem(_shown_path(source), line, 0, "", _reason(error))


def _reason(error: Exception) -> str:
    if isinstance(error, jinja2.TemplateSyntaxError):
        reason = f"syntax error: {error.message}"
    elif isinstance(error, jinja2.TemplateNotFound):
        reason = f"no layout {error.name!r} to include, extend or import"
    elif isinstance(error, (jinja2.TemplateError, _Bound)):
        reason = str(error)
    elif isinstance(error, MemoryError):
        reason = f"needed more than {LAYOUT_MEMORY // 2**20} MB of memory"
    elif isinstance(error, RecursionError):
        reason = "recursed too deeply"
    else:
        reason = f"{type(error).__name__}: {error}"
    reason = _printable(" ".join(reason.split()))
    return reason if len(reason) <= 200 else reason[:197] + "..."


def _shown_path(path: str) -> str:
    """``path`` relative to the working folder when it is inside it, as a reader gives it."""
    relative = os.path.relpath(path)
    return _printable(path if relative.startswith(os.pardir) else relative)


def _printable(text: str) -> str:
    """``text`` with each character a terminal would act on (line breaks, escapes) written
    as its Python escape: a layout's names and strings stay on one inert line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class _Worker:
    """A process forked from this one that renders a team's layouts, a document at a time,
    within the bounds."""

    def __init__(self, team: TeamLayouts) -> None:
        self.key = team
        requests, self.requests = os.pipe()
        self.replies, replies = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.requests)
            os.close(self.replies)
            _serve(requests, replies, team)
        os.close(requests)
        os.close(replies)

    def render(self, name: str, variables: dict[str, Any]) -> str:
        """The layout rendered by the worker; :class:`LayoutError` if it failed or overran a
        bound (the worker is stopped then: the next document gets a new one)."""
        request = pickle.dumps((name, variables))
        message, reason = None, "the process rendering it ended (out of memory?)"
        try:
            _send(self.requests, request)
            message = _receive(self.replies, time.monotonic() + _seconds(len(request)) + _GRACE)
        except TimeoutError:  # busy in one long operation: the worker cannot tell where
            reason = _too_slow(len(request))
        except (EOFError, OSError):  # it died
            pass
        reply = {} if message is None else json.loads(message)
        if "text" in reply:
            return str(reply["text"])
        _stop(self)
        if "problem" in reply:
            source, line, problem = reply["problem"]
            raise LayoutError(Problem(source, line, 0, "", problem))
        raise LayoutError(Problem(_shown_path(_top(self.key, name)), 0, 0, "", reason))


def _top(team: TeamLayouts, name: str) -> str:
    """Where a failure of the layout ``name`` is shown when no line can be told: the team's
    layout of that name, or its folder when the built-in one was used."""
    where, found = team
    path = os.path.join(where, name)
    if isinstance(found, str):
        return path if os.path.isfile(path) else where
    return path if name in dict(found) else where


_workers: list[_Worker] = []
"""The worker of this run's layouts folder, if one has been needed: one at a time."""


def _worker(team: TeamLayouts) -> _Worker:
    if _workers and _workers[0].key != team:
        _stop(_workers[0])
    if not _workers:
        _workers.append(_Worker(team))
    return _workers[0]


def _stop(worker: _Worker) -> None:
    """Stop the worker, which holds nothing to keep, and reap it."""
    _workers.remove(worker)
    os.close(worker.requests)
    os.close(worker.replies)
    os.kill(worker.pid, signal.SIGKILL)
    os.waitpid(worker.pid, 0)


@atexit.register
def _stop_workers() -> None:
    for worker in list(_workers):
        _stop(worker)


def _serve(requests: int, replies: int, team: TeamLayouts) -> NoReturn:
    """The worker: render each layout asked for until the requests end, under the bounds;
    reply with the text or where and why it failed. Never returns into the caller's code."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_memory()
        layouts = _environment(team)
        while (request := _receive(requests, None)) is not None:  # None: the parent died
            name, variables = pickle.loads(request)
            _bound_time(len(request))
            try:
                reply: dict[str, Any] = {"text": _generate(layouts, name, variables)}
            except Exception as error:  # whatever a team's layout does wrong is its problem
                problem = _problem(error, _top(team, name))
                reply = {"problem": [problem.source, problem.line, problem.message]}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            _send(replies, json.dumps(reply).encode())
    finally:
        os._exit(0)


def _limit_memory() -> None:
    """Let this process grow by at most :data:`LAYOUT_MEMORY` (where /proc tells its size)."""
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as stream:
            pages = int(stream.read().split()[0])
    except OSError:  # no /proc (macOS, which does not enforce RLIMIT_AS anyway)
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = pages * os.sysconf("SC_PAGE_SIZE") + LAYOUT_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (_lowest(limit, soft, hard), hard))


def _bound_time(request: int) -> None:
    """Stop the layout (SIGALRM, where it is) once it has taken its time; and this process
    (SIGXCPU) if it takes much more processor time, should the parent die and never stop it."""
    import resource

    def time_up(signum: int, frame: Any) -> NoReturn:
        raise _Bound(_too_slow(request))

    seconds = _seconds(request)
    signal.signal(signal.SIGALRM, time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime + seconds + _GRACE) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (_lowest(limit, hard), hard))


def _lowest(limit: int, *others: int) -> int:
    """The lowest of ``limit`` and the resource limits ``others`` (which may be infinite)."""
    import resource

    return min([limit, *(other for other in others if other != resource.RLIM_INFINITY)])


_HEADER = 8
"""Bytes of the length that goes before each message between the worker and its parent."""


def _send(stream: int, message: bytes) -> None:
    data = memoryview(len(message).to_bytes(_HEADER, "big") + message)
    while data:
        data = data[os.write(stream, data) :]


def _receive(stream: int, deadline: float | None) -> bytes | None:
    """The next message, None at the end of the stream; TimeoutError after ``deadline``,
    EOFError if the stream ends within a message."""
    header = _read(stream, _HEADER, deadline)
    if not header:
        return None
    return _read(stream, int.from_bytes(header, "big"), deadline)


def _read(stream: int, size: int, deadline: float | None) -> bytes:
    """``size`` bytes, or none at the end of the stream."""
    poller = select.poll()
    poller.register(stream, select.POLLIN)
    chunks = []
    left = size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
        chunk = os.read(stream, min(left, 1 << 20))
        if not chunk and left == size:
            return b""
        if not chunk:
            raise EOFError
        left -= len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)
