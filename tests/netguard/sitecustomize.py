"""Loaded by a test server through PYTHONPATH: every attempt to reach a host other than this machine (a connect
or a name lookup) is written to $PAINBOT_NETLOG and fails, so a test can prove that nothing calls out."""

import ipaddress
import os
import socket
import traceback

_LOG = os.environ.get("PAINBOT_NETLOG", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _local(host: object) -> bool:
    if not isinstance(host, str) or host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a name: looking it up would already leave the machine
    return address.is_loopback or address.is_unspecified


def _refuse(what: str, target: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{what} {target!r}\n{''.join(traceback.format_stack(limit=8))}\n")
    raise OSError(101, f"network is unreachable (test guard): {target!r}")


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local(host.decode() if isinstance(host, bytes) else host):
        _refuse("lookup", host)
    return _getaddrinfo(host, *args, **kwargs)


if _LOG:
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
