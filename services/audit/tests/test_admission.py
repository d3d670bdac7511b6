"""What may enter the log, without any infrastructure."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import rfc8785

from audit.checkpoints.keys import load_or_create_signer
from audit.intake.admission import NotAdmissible, admit, canonical_bytes
from audit.intake.consumer import is_permanent
from audit.log import generate_key, parse_vkey
from audit.settings import PLATFORM_TOPICS, AuditSettings
from audit.testing import viewed

RECORD = SimpleNamespace(topic="natres.registry.v1", partition=2, offset=41)


def test_leaf_data_is_the_rfc8785_form_of_the_whole_event():
    event = viewed(subject="单元-1", amount=1.5)
    leaf = admit(event, RECORD)
    assert leaf.canonical == rfc8785.dumps(event.to_dict())
    assert leaf.canonical.startswith(b'{"actor":"user-1","data":{"amount":1.5,')
    assert "单元-1".encode() in leaf.canonical  # UTF-8, not \\u escapes
    assert (leaf.topic, leaf.partition, leaf.offset) == ("natres.registry.v1", 2, 41)
    assert leaf.event_time.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"subject": "x" * 2000}, "audit.unstorable"),
        ({"actor": "a\x00b"}, "audit.unstorable"),
        ({"subject": "\ud800"}, "audit.unstorable"),
        ({"time": "yesterday"}, "audit.bad_time"),
        ({"data": {"unit_id": "u", "viewer": "v", "purpose": "p", "n": 2**60}}, "audit.not_canonicalisable"),
    ],
)
def test_events_that_cannot_be_logged_as_is_are_refused_with_a_code(change, code):
    event = viewed().model_copy(update=change)
    with pytest.raises(NotAdmissible) as info:
        admit(event, RECORD)
    assert info.value.code == code


def test_canonical_bytes_do_not_depend_on_key_order():
    a = viewed()
    b = a.model_copy(update={"data": dict(reversed(list(a.data.items())))})
    assert canonical_bytes(a) == canonical_bytes(b)


def test_only_data_errors_count_as_permanent():
    class Orig(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    class Wrapped(Exception):
        def __init__(self, sqlstate):
            self.orig = Orig(sqlstate)

    assert is_permanent(Wrapped("23505")) and is_permanent(Wrapped("22P05")) and is_permanent(Wrapped("54000"))
    assert not is_permanent(Wrapped("42501")) and not is_permanent(Wrapped("08006"))
    assert not is_permanent(ConnectionResetError())


def test_signing_key_is_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "audit" / "checkpoint.skey"
    with ThreadPoolExecutor(4) as pool:
        signers = list(pool.map(lambda _: load_or_create_signer(skey=None, path=path, name="natres.shanxi/audit"), range(8)))
    assert len({s.verifier.vkey for s in signers}) == 1  # racing starters agree on one key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["checkpoint.skey"]
    again = load_or_create_signer(skey=None, path=path, name="natres.shanxi/audit")
    assert again.verifier.vkey == signers[0].verifier.vkey
    assert parse_vkey(again.verifier.vkey).name == "natres.shanxi/audit"


def test_configured_skey_wins_over_the_key_file(tmp_path):
    skey, vkey = generate_key("natres.shanxi/audit")
    signer = load_or_create_signer(skey=skey, path=tmp_path / "none.skey", name="ignored")
    assert signer.verifier.vkey == vkey
    assert not (tmp_path / "none.skey").exists()


def test_settings_default_to_every_platform_topic_and_a_key_under_the_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NATRES_STATE_DIR", str(tmp_path))
    s = AuditSettings()
    assert s.intake_topics == PLATFORM_TOPICS
    assert s.signing_key_file == tmp_path / "audit" / "checkpoint.skey"
    assert s.log_origin == "natres.shanxi/audit"
