"""CURVE keys for a Herd worker or client (docs/SECURITY.md).

A coordinator that runs with CURVE (``herd up`` does by default) only talks to peers that know its
public key and hold a key pair it allows. Both come in the files ``herd keygen`` writes:
``NAME.key`` (``public-key = "Z85"`` and ``secret-key = "Z85"``, mode 0600) and ``NAME.pub``
(``public-key`` only). ``herd up`` tells the workers it starts where they are, in ``HERD_SERVER_KEY``
(the coordinator's public key: 40 characters of Z85, or a key file) and ``HERD_KEY`` (this peer's
secret key file).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

import zmq

Z85_KEY_LENGTH = 40


class KeyFileError(ValueError):
    """A key or key file Herd cannot use; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Curve:
    """The CURVE settings of one connection: the coordinator's public key and this peer's pair."""

    server_key: str
    public_key: str
    secret_key: str

    def apply(self, sock: zmq.Socket) -> None:
        """Makes ``sock`` a CURVE client (before it connects)."""
        sock.setsockopt(zmq.CURVE_SERVERKEY, self.server_key.encode())
        sock.setsockopt(zmq.CURVE_PUBLICKEY, self.public_key.encode())
        sock.setsockopt(zmq.CURVE_SECRETKEY, self.secret_key.encode())


def _read_fields(path: str) -> Dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}") from None
    fields: Dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        value = value.strip()
        if not sep or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            raise KeyFileError(f"key file {path}: line {number}: expected name = \"Z85\"")
        fields[name.strip()] = value[1:-1]
    return fields


def _checked(path: str, name: str, value: Optional[str]) -> str:
    if value is None or len(value) != Z85_KEY_LENGTH:
        raise KeyFileError(f"key file {path}: no valid {name} (40 characters of Z85)")
    return value


def server_key(text: str) -> str:
    """The coordinator's public key: ``text`` itself (40 characters of Z85) or read from a key file."""
    if len(text) == Z85_KEY_LENGTH and not os.path.exists(text):
        return text
    return _checked(text, "public-key", _read_fields(text).get("public-key"))


def key_pair(path: str) -> tuple[str, str]:
    """This peer's (public, secret) key from a secret key file; refused if group or others can read it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} is readable by others (mode {oct(mode & 0o777)}): chmod 600 it")
    fields = _read_fields(path)
    secret = _checked(path, "secret-key", fields.get("secret-key"))
    public = fields.get("public-key") or zmq.curve_public(secret.encode()).decode()
    if zmq.curve_public(secret.encode()).decode() != public:
        raise KeyFileError(f"key file {path}: its public-key is not its secret key's")
    return public, secret


def curve_from(server: Optional[str], key: Optional[str], env: Mapping[str, str] = os.environ) -> Optional[Curve]:
    """The CURVE settings from arguments, else ``HERD_SERVER_KEY`` / ``HERD_KEY``; ``None`` for plain text.

    Both or neither: one without the other is an error, as for the ``herd`` command line.
    """
    server = server or env.get("HERD_SERVER_KEY") or None
    key = key or env.get("HERD_KEY") or None
    if server is None and key is None:
        return None
    if server is None or key is None:
        raise KeyFileError("CURVE needs both the coordinator's public key (server_key or $HERD_SERVER_KEY)"
                        " and this peer's key file (key or $HERD_KEY)")
    public, secret = key_pair(key)
    return Curve(server_key=server_key(server), public_key=public, secret_key=secret)
