"""Listening sockets opened before the service starts."""

from __future__ import annotations

import socket

import pytest

from symphony.kit.ports import listen_socket, port_free


def test_a_port_with_a_listener_is_busy_and_a_closed_one_free() -> None:
    sock = listen_socket("localhost", 0)
    try:
        assert sock.family == socket.AF_INET  # localhost: the address 127.0.0.1 clients reach
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_free("127.0.0.1", port)
        with pytest.raises(OSError):
            listen_socket("127.0.0.1", port)
    finally:
        sock.close()
    assert port_free("127.0.0.1", port)
