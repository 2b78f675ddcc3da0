"""One API process of ``gentrade serve --workers N``: the app, served on a listening socket it inherited.

``python -m gentrade.cli.api_process FD``. Logging, the app and uvicorn are set up exactly as a single
``gentrade serve`` sets them up; only the socket comes from the parent.
"""

from __future__ import annotations

import socket
import sys


def main(argv: list[str]) -> int:
    import uvicorn

    from gentrade.api import create_app
    from gentrade.logs import configure_logging

    configure_logging()
    listener = socket.socket(fileno=int(argv[0]))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_config=None))
    server.run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
