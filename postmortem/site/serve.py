"""``postmortem site --serve``: the built site on http://127.0.0.1 for a preview, served by
the standard library. Only files inside the output folder are served (a symbolic link out of
it is not followed), and no folder is ever listed."""

import functools
import os
import sys
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from postmortem._terminal import terminal_text

__all__ = ["serve"]


class _SiteHandler(SimpleHTTPRequestHandler):
    def send_head(self) -> Any:
        """The file asked for, if it is a folder or regular file inside the site: anything
        else (a link out of it, a FIFO, a NUL byte in the path) is not found, answered as
        such, never an exception that drops the connection."""
        path = self.translate_path(self.path)
        root = os.path.realpath(self.directory)
        real = os.path.realpath(path) if "\0" not in path else ""
        inside = real == root or real.startswith(root + os.sep)
        if not inside or not (os.path.isdir(real) or os.path.isfile(real)):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "No listing")

    def log_message(self, format: str, *args: object) -> None:
        """The request log, with what a client put in the request shown safely."""
        sys.stderr.write(terminal_text(f"{self.address_string()} - {format % args}") + "\n")


def serve(directory: Path, port: int) -> None:
    """Serve ``directory`` on 127.0.0.1:``port`` (0: any free port) until interrupted."""
    handler = functools.partial(_SiteHandler, directory=os.fspath(directory))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(
            f"serving {directory} at http://127.0.0.1:{server.server_port}/index.html "
            "(Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        server.serve_forever()
