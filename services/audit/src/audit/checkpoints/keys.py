"""The checkpoint signing key: from settings, or a key file generated once with mode 0600."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from audit.log import Signer, generate_key, parse_skey

log = logging.getLogger(__name__)


def _read(path: Path) -> Signer:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("checkpoint key file is readable by others", extra={"path": str(path), "mode": oct(mode)})
    return parse_skey(path.read_text(encoding="utf-8").strip())


def load_or_create_signer(*, skey: str | None, path: Path, name: str) -> Signer:
    """The configured skey, else the key in `path`, else a new key written there first."""
    if skey:
        return parse_skey(skey.strip())
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    new_skey, vkey = generate_key(name)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new_skey + "\n")
            f.flush()
            os.fsync(f.fileno())
        # link() fails if the name exists: when the API and the worker start together, one key wins.
        os.link(tmp, path)
        log.info("generated checkpoint signing key", extra={"path": str(path), "vkey": vkey})
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read(path)
