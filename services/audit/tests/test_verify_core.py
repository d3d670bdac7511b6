"""The offline verifier's pure checks, end to end over a small log."""

import base64

import pytest

from audit.log import (
    Checkpoint,
    InMemoryNodeStore,
    append_leaves,
    consistency_proof,
    generate_key,
    inclusion_proof,
    leaf_hash,
    parse_skey,
    sign_checkpoint,
)
from audit.verify_core import (
    VerificationError,
    check_consistency,
    check_inclusion,
    decode_hash,
    decode_proof,
    verify_checkpoint,
)

ORIGIN = "natres.example/audit/v1"
ENTRIES = [f'{{"event":{i}}}'.encode() for i in range(40)]


@pytest.fixture(scope="module")
def log():
    skey, vkey = generate_key(ORIGIN)
    store, notes = InMemoryNodeStore(), {}
    for start, end in [(0, 13), (13, 16), (16, 40)]:
        root = append_leaves(store, start, [leaf_hash(e) for e in ENTRIES[start:end]])
        notes[end] = sign_checkpoint(Checkpoint(ORIGIN, end, root), parse_skey(skey))
    return store, notes, vkey


def test_entry_inclusion_checks_out_against_a_verified_checkpoint(log):
    store, notes, vkey = log
    cp = verify_checkpoint(notes[16], vkey, origin=ORIGIN)
    for i in range(16):
        check_inclusion(cp, i, inclusion_proof(i, 16, store), leaf_data=ENTRIES[i])
        check_inclusion(cp, i, inclusion_proof(i, 16, store), leaf_hash_value=leaf_hash(ENTRIES[i]))


def test_altered_entry_fails_inclusion(log):
    store, notes, vkey = log
    cp = verify_checkpoint(notes[40], vkey)
    proof = inclusion_proof(7, 40, store)
    with pytest.raises(VerificationError):
        check_inclusion(cp, 7, proof, leaf_data=ENTRIES[7].replace(b"7", b"8"))
    with pytest.raises(VerificationError):
        check_inclusion(cp, 8, proof, leaf_data=ENTRIES[7])
    with pytest.raises(VerificationError):
        check_inclusion(cp, 40, proof, leaf_data=ENTRIES[7])


def test_consistency_between_saved_and_new_checkpoints(log):
    store, notes, vkey = log
    cps = {n: verify_checkpoint(note, [vkey]) for n, note in notes.items()}
    for old, new in [(13, 16), (13, 40), (16, 40), (40, 40)]:
        check_consistency(cps[old], cps[new], consistency_proof(old, new, store))


def test_rewritten_history_is_detected(log):
    store, notes, vkey = log
    old = verify_checkpoint(notes[13], vkey)
    forked_root = append_leaves(InMemoryNodeStore(), 0, [leaf_hash(e + b" ") for e in ENTRIES[:16]])
    forked = Checkpoint(ORIGIN, 16, forked_root)
    with pytest.raises(VerificationError, match="does not verify"):
        check_consistency(old, forked, consistency_proof(13, 16, store))
    with pytest.raises(VerificationError, match="forked"):
        check_consistency(verify_checkpoint(notes[16], vkey), forked, [])
    with pytest.raises(VerificationError, match="smaller"):
        check_consistency(verify_checkpoint(notes[40], vkey), old, [])
    with pytest.raises(VerificationError, match="different logs"):
        check_consistency(old, Checkpoint("other.example/log", 40, forked_root), [])


def test_checkpoint_from_another_key_or_tampered_is_rejected(log):
    _, notes, vkey = log
    _, other_vkey = generate_key(ORIGIN)
    with pytest.raises(VerificationError):
        verify_checkpoint(notes[13], other_vkey)
    with pytest.raises(VerificationError):
        verify_checkpoint(notes[13].replace("\n13\n", "\n14\n"), vkey)
    with pytest.raises(VerificationError):
        verify_checkpoint(notes[13], vkey, origin="other.example/log")
    with pytest.raises(VerificationError):
        verify_checkpoint(notes[13], "not a key")


def test_hashes_decode_from_base64_or_hex():
    h = leaf_hash(b"x")
    assert decode_hash(base64.b64encode(h).decode()) == decode_hash(h.hex()) == decode_hash(h) == h
    assert decode_proof([h.hex(), base64.b64encode(h).decode()]) == [h, h]
    for bad in ["zz" * 32, "AAAA", h[:31]]:
        with pytest.raises(VerificationError):
            decode_hash(bad)
