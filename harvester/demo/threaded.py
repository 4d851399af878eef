"""A demo HTTP server running in a daemon thread of the test or demo process: start, stop, context manager."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType
from typing import Any, Self


class ServedInThread:
    """Serves ``server`` until ``stop()`` (or the end of a ``with`` block)."""

    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self._server: Any = server
        # a short poll interval makes stop() quick: shutdown() waits for the serving loop's next poll
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
