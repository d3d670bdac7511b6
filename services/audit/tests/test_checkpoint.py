"""C2SP tlog-checkpoint bodies and signed checkpoints, including a real sum.golang.org one."""

import base64

import pytest

from audit.log import (
    Checkpoint,
    CheckpointFormatError,
    InMemoryNodeStore,
    InvalidSignatureError,
    append_leaves,
    format_checkpoint,
    generate_key,
    leaf_hash,
    open_checkpoint,
    parse_checkpoint,
    parse_skey,
    sign_checkpoint,
)

# A checkpoint signed by the Go checksum database (as quoted in a Go test that verifies it with
# golang.org/x/mod/sumdb/note), and the sumdb key compiled into the go command.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
    "— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n"
)
ROOT = bytes(range(32))
ORIGIN = "natres.example/audit/v1"


def test_a_real_sumdb_checkpoint_verifies_and_parses():
    checkpoint, names = open_checkpoint(SUMDB_NOTE, [SUMDB_VKEY], origin="go.sum database tree")
    assert names == ["sum.golang.org"]
    assert checkpoint.size == 6476701
    assert base64.b64encode(checkpoint.root_hash).decode() == "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(SUMDB_NOTE.replace("6476701", "6476702"), [SUMDB_VKEY])


def test_body_layout():
    assert format_checkpoint(ORIGIN, 3, ROOT) == f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n"
    assert format_checkpoint(ORIGIN, 0, ROOT, ["ext one"]).endswith("\next one\n")


def test_body_round_trips_with_extensions():
    cp = Checkpoint(ORIGIN, 123456789, ROOT, ("timestamp 1700000000",))
    assert parse_checkpoint(cp.body()) == cp


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n3\n",  # too few lines
        f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"\n3\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
        f"{ORIGIN}\n03\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n-3\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n1_000\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n\u0663\n{base64.b64encode(ROOT).decode()}\n",  # Arabic-Indic digit three
        f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n3\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short hash
        f"{ORIGIN}\n3\n{ROOT.hex()}\n",  # hex, not base64
        f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n\n",  # empty extension line
    ],
)
def test_malformed_bodies_are_refused(text):
    with pytest.raises(CheckpointFormatError):
        parse_checkpoint(text)


def test_formatting_refuses_what_parsing_would_refuse():
    for args in [("", 1, ROOT), ("a\nb", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, 1, ROOT[:5])]:
        with pytest.raises(CheckpointFormatError):
            format_checkpoint(*args)
    with pytest.raises(CheckpointFormatError):
        format_checkpoint(ORIGIN, 1, ROOT, [""])


def test_signed_checkpoint_of_our_own_tree_round_trips():
    store = InMemoryNodeStore()
    root = append_leaves(store, 0, [leaf_hash(f"event {i}".encode()) for i in range(10)])
    skey, vkey = generate_key(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 10, root), parse_skey(skey))
    assert note.split("\n\n")[1].startswith(f"\u2014 {ORIGIN} ")
    checkpoint, names = open_checkpoint(note, [vkey], origin=ORIGIN)
    assert (checkpoint.size, checkpoint.root_hash, names) == (10, root, [ORIGIN])
    with pytest.raises(CheckpointFormatError):
        open_checkpoint(note, [vkey], origin="someone.else/log")


def test_witness_cosignature_lines_do_not_break_opening():
    skey, vkey = generate_key(ORIGIN)
    wskey, _ = generate_key("witness.example/w1")
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), parse_skey(skey), parse_skey(wskey))
    assert open_checkpoint(note, [vkey])[1] == [ORIGIN]
