"""herd.keys reads what `herd keygen` writes, and refuses what it must (docs/SECURITY.md)."""

import os
import subprocess

import pytest
import zmq

import herd
from herd.keys import curve_from, key_pair, server_key
from conftest import HERD_BIN


def keygen(tmp_path, name="peer"):
    subprocess.run([HERD_BIN, "keygen", "--out", str(tmp_path / name)], check=True, capture_output=True)
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def test_reads_herd_keygen_files(tmp_path):
    secret_file, public_file = keygen(tmp_path)
    public, secret = key_pair(str(secret_file))
    assert len(public) == 40 and len(secret) == 40
    assert zmq.curve_public(secret.encode()).decode() == public
    assert server_key(str(public_file)) == public
    assert server_key(public) == public, "40 characters of Z85 are a key, not a path"


def test_secret_key_readable_by_others_is_refused(tmp_path):
    secret_file, _ = keygen(tmp_path)
    os.chmod(secret_file, 0o644)
    with pytest.raises(herd.KeyFileError, match="readable by others"):
        key_pair(str(secret_file))


def test_both_keys_or_neither(tmp_path):
    secret_file, public_file = keygen(tmp_path)
    assert curve_from(None, None, env={}) is None
    with pytest.raises(herd.KeyFileError, match="needs both"):
        curve_from(str(public_file), None, env={})
    curve = curve_from(None, None, env={"HERD_SERVER_KEY": str(public_file), "HERD_KEY": str(secret_file)})
    assert curve is not None and curve.server_key == curve.public_key


def test_malformed_key_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("secret-key = nope\n")
    os.chmod(bad, 0o600)
    with pytest.raises(herd.KeyFileError, match=str(bad)):
        key_pair(str(bad))
