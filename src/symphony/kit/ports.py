"""Listening sockets opened before the service starts, so a busy port is one clear line at
start instead of a traceback from deep inside the server."""

from __future__ import annotations

import socket

__all__ = ["listen_socket", "port_free"]


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket on host:port; OSError when the port is taken.

    SO_REUSEADDR as uvicorn and aiohttp set it: a port left in TIME_WAIT is free, one with
    a listener is not."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    # a name such as localhost: its IPv4 address first (what clients of 127.0.0.1 reach)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_free(host: str, port: int) -> bool:
    """Whether host:port can be bound right now (it may be taken a moment later)."""
    try:
        listen_socket(host, port).close()
    except OSError:
        return False
    return True
