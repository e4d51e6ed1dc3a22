"""The Ed25519 key that signs snapshots: one PEM file, created on first use with mode 0600."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from symphony.errors import SymphonyError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "snapshot_ed25519.pem"


class SnapshotKeyError(SymphonyError):
    status = 500
    code = "snapshot_key_invalid"


def default_key_path(data_dir: Path) -> Path:
    """<data_dir>/ingest/snapshot_ed25519.pem."""
    return data_dir / "ingest" / KEY_FILE_NAME


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short stable name for a public key: ed25519:<first 16 hex of sha256(raw key)>."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the signing key at `path`, creating it (0600, parent 0700) when absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _load_private(path)  # another process created it first
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        log.info("created snapshot signing key %s (%s)", path, key_id(key.public_key()))
        return key
    return _load_private(path)


def _load_private(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("snapshot key %s is readable by others (mode %o); chmod 600 it", path, mode)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SnapshotKeyError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SnapshotKeyError(f"{path}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The public key in `path`, which may hold the private key or only the public one."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return _load_private(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SnapshotKeyError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SnapshotKeyError(f"{path}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    """PEM (SubjectPublicKeyInfo) of a public key, for sharing with verifiers."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class SigningKey:
    """The snapshot signing key, loaded (or created) on first use, then kept in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def get(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_or_create_key(self.path)
        return self._key
