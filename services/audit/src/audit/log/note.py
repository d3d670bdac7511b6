"""C2SP signed-note with Ed25519, key strings compatible with golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks for at least 16; Go's note package stops at 100
_HEX_ID = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A signed note could not be opened."""


class MalformedNoteError(NoteError):
    """The note does not follow the signed-note syntax."""


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the note must be rejected."""


class UnverifiedNoteError(NoteError):
    """No signature from a known key: the note text must be ignored."""


class KeyFormatError(ValueError):
    """A vkey/skey string is malformed or its key ID does not match the key."""


def is_valid_name(name: str) -> bool:
    """Key names are non-empty, without spaces or '+' (they are '+'-separated in key strings)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name) and _clean(name)


def _clean(s: str) -> bool:
    # Valid UTF-8 (no lone surrogates) and no ASCII control characters except newline.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(c < " " and c != "\n" for c in s)


def key_id(name: str, public_key: bytes) -> int:
    """Key ID = first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(s: str) -> bytes:
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ValueError("bad base64") from exc


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    key_id: int
    public_key: bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff signature is a valid Ed25519 signature of message."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @property
    def vkey(self) -> str:
        """This key as a verifier key string."""
        return format_vkey(self.name, self.public_key)


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that signs notes."""

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of message (deterministic, RFC 8032)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return _public_from_seed(self.seed)

    @property
    def verifier(self) -> Verifier:
        """The matching Verifier."""
        return Verifier(self.name, self.key_id, self.public_key)


def _public_from_seed(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def format_vkey(name: str, public_key: bytes) -> str:
    """`<name>+<hex key id>+<base64(0x01 || public key)>`."""
    if not is_valid_name(name) or len(public_key) != 32:
        raise KeyFormatError("invalid key name or public key size")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode()
    return f"{name}+{key_id(name, public_key):08x}+{encoded}"


def format_skey(name: str, seed: bytes) -> str:
    """`PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`; the ID is that of the public key."""
    if not is_valid_name(name) or len(seed) != 32:
        raise KeyFormatError("invalid key name or seed size")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{key_id(name, _public_from_seed(seed)):08x}+{encoded}"


def generate_key(name: str) -> tuple[str, str]:
    """A fresh key pair as (skey, vkey) strings, the order of Go's note.GenerateKey."""
    seed = os.urandom(32)
    return format_skey(name, seed), format_vkey(name, _public_from_seed(seed))


def _split_key(key: str, parts: int) -> list[str]:
    # Split from the left like Go's chop: the base64 tail may itself contain '+'.
    fields = key.split("+", parts - 1)
    if len(fields) != parts:
        raise KeyFormatError("malformed key string")
    return fields


def _decode_key(name: str, hex_id: str, b64: str) -> tuple[int, bytes]:
    if not is_valid_name(name) or not _HEX_ID.fullmatch(hex_id):
        raise KeyFormatError("malformed key name or id")
    try:
        raw = _b64decode(b64)
    except ValueError as exc:
        raise KeyFormatError("malformed key encoding") from exc
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise KeyFormatError("unknown key algorithm or size")
    return int(hex_id, 16), raw[1:]


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key string, checking its key ID."""
    name, hex_id, b64 = _split_key(vkey, 3)
    kid, public_key = _decode_key(name, hex_id, b64)
    if kid != key_id(name, public_key):
        raise KeyFormatError("key id does not match the public key")
    return Verifier(name, kid, public_key)


def parse_skey(skey: str) -> Signer:
    """Parse a signer key string, checking its key ID against the derived public key."""
    private, key, name, hex_id, b64 = _split_key(skey, 5)
    if (private, key) != ("PRIVATE", "KEY"):
        raise KeyFormatError("not a private key string")
    kid, seed = _decode_key(name, hex_id, b64)
    if kid != key_id(name, _public_from_seed(seed)):
        raise KeyFormatError("key id does not match the private key")
    return Signer(name, kid, seed)


def sign_note(text: str, *signers: Signer) -> str:
    """Sign text (which must end in a newline) and return the encoded note."""
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    if not text.endswith("\n") or not _clean(text):
        raise MalformedNoteError("note text must be clean UTF-8 ending in a newline")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        if not is_valid_name(signer.name):
            raise ValueError(f"invalid signer name {signer.name!r}")
        blob = signer.key_id.to_bytes(4, "big") + signer.sign(message)
        lines.append(f"{SIG_PREFIX}{signer.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


class OpenedNote(NamedTuple):
    """A note's text and the names of the known keys whose signatures verified."""

    text: str
    verified_names: list[str]


def _verifier_map(verifiers: Iterable[Verifier | str]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        v = parse_vkey(v) if isinstance(v, str) else v
        if known.setdefault((v.name, v.key_id), v) != v:
            raise ValueError(f"ambiguous key {v.name}+{v.key_id:08x}")
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier | str]) -> OpenedNote:
    """Parse note and check its signatures against known verifiers (Verifier objects or vkey strings).

    As C2SP signed-note requires, signatures by unknown keys (e.g. witness cosignatures)
    are skipped, a failing signature by a known key rejects the note, and a note with no
    verified signature is rejected.
    """
    known = _verifier_map(verifiers)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError("note is not UTF-8") from exc
    if not _clean(note):
        raise MalformedNoteError("note has control characters or invalid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError("too many signatures")
    message = text.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, int]] = set()
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise MalformedNoteError("signature line must start with an em dash")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        try:
            blob = _b64decode(b64)
        except ValueError as exc:
            raise MalformedNoteError("signature is not base64") from exc
        if not is_valid_name(name) or len(blob) < 5:
            raise MalformedNoteError("malformed signature line")
        kid = int.from_bytes(blob[:4], "big")
        verifier = known.get((name, kid))
        if verifier is None or (name, kid) in seen:
            continue
        seen.add((name, kid))
        if not verifier.verify(message, blob[4:]):
            raise InvalidSignatureError(f"invalid signature for key {name}+{kid:08x}")
        verified.append(name)
    if not verified:
        raise UnverifiedNoteError("note has no verifiable signatures")
    return OpenedNote(text, verified)
