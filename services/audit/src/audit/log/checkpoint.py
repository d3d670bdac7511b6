"""C2SP tlog-checkpoint bodies, and signing/opening them as signed notes."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from audit.log.merkle import HASH_SIZE
from audit.log.note import Signer, Verifier, open_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")  # ASCII only: int() would also take "٣" or "1_000"
MAX_TREE_SIZE = 2**64 - 1  # sizes are uint64 in every tlog implementation


class CheckpointFormatError(ValueError):
    """Text is not a well-formed tlog-checkpoint body."""


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, RFC 6962 root hash, opaque extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text of this checkpoint."""
        return format_checkpoint(self.origin, self.size, self.root_hash, self.extensions)


def _check_line(line: str, what: str) -> None:
    if not line or "\n" in line or any(c < " " for c in line):
        raise CheckpointFormatError(f"{what} must be a non-empty line without control characters")


def format_checkpoint(origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()) -> str:
    """`<origin>\\n<size>\\n<base64 root>\\n` followed by any extension lines."""
    _check_line(origin, "origin")
    for ext in extensions:
        _check_line(ext, "extension line")
    if not 0 <= size <= MAX_TREE_SIZE:
        raise CheckpointFormatError(f"tree size {size} out of range")
    if len(root_hash) != HASH_SIZE:
        raise CheckpointFormatError(f"root hash must be {HASH_SIZE} bytes")
    lines = [origin, str(size), base64.b64encode(root_hash).decode(), *extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text, signatures already stripped)."""
    if not text.endswith("\n"):
        raise CheckpointFormatError("checkpoint must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointFormatError("checkpoint needs origin, size and root hash lines")
    origin, size_line, root_line, *extensions = lines
    _check_line(origin, "origin")
    for ext in extensions:
        _check_line(ext, "extension line")
    if not _SIZE.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
        raise CheckpointFormatError(f"bad tree size {size_line!r}")
    try:
        root = base64.b64decode(root_line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise CheckpointFormatError("root hash is not base64") from exc
    # Require the canonical encoding so one tree head has exactly one text (and one signature).
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_line:
        raise CheckpointFormatError("root hash must be canonical base64 of 32 bytes")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """The checkpoint as a signed note."""
    return sign_note(checkpoint.body(), *signers)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[Verifier | str], *, origin: str | None = None
) -> tuple[Checkpoint, list[str]]:
    """Verify a signed checkpoint note, parse it and, if given, check its origin line."""
    text, names = open_note(note, verifiers)
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointFormatError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint, names
