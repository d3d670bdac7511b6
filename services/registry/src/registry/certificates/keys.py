"""The Ed25519 certificate-signing key: from a PEM file, generated on first start when absent."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class CertificateSigner:
    """A private key and the id (fingerprint) of its public half."""

    private_key: Ed25519PrivateKey
    key_id: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The verifying half."""
        return self.private_key.public_key()

    def public_pem(self) -> str:
        """SubjectPublicKeyInfo PEM, published for offline verification."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @classmethod
    def from_private_key(cls, key: Ed25519PrivateKey) -> CertificateSigner:
        """Wrap a key; the id is the first 16 hex digits of SHA-256 over the raw public key."""
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(private_key=key, key_id="ed25519:" + hashlib.sha256(raw).hexdigest()[:16])

    @classmethod
    def load_or_create(cls, path: Path) -> CertificateSigner:
        """Read the PEM; create it (mode 0600) when missing, published atomically so that workers agree.

        The key is written to a private temporary file and hard-linked into place: a second process
        either wins the link or reads the complete file of the one that did, never a half-written one.
        """
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mode 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process won the race: use its key
            finally:
                os.unlink(tmp)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls.from_private_key(key)
