"""C2SP signed notes against golang.org/x/mod/sumdb/note's own test vectors."""

import pytest

from audit.log import (
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    UnverifiedNoteError,
    generate_key,
    open_note,
    parse_skey,
    parse_vkey,
    sign_note,
)
from audit.log.note import key_id

# From golang.org/x/mod sumdb/note/note_test.go (TestNewVerifier, TestSign, TestOpen).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)


def test_signing_reproduces_go_output_byte_for_byte():
    assert sign_note(TEXT, parse_skey(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_key_strings_round_trip_and_ids_match_go():
    signer, verifier = parse_skey(PETER_SKEY), parse_vkey(PETER_VKEY)
    assert signer.key_id == verifier.key_id == 0xC74F20A3 == key_id("PeterNeumann", verifier.public_key)
    assert signer.verifier == verifier
    assert verifier.vkey == PETER_VKEY
    assert parse_vkey(ENOCH_VKEY).key_id == 0xAF0CFE78


def test_go_signed_note_opens():
    assert open_note(TEXT + "\n" + PETER_SIG, [PETER_VKEY]) == (TEXT, ["PeterNeumann"])
    assert open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [PETER_VKEY, ENOCH_VKEY]) == (
        TEXT,
        ["PeterNeumann", "EnochRoot"],
    )


def test_unknown_signatures_are_ignored_but_one_known_is_required():
    # Witness cosignatures and rotated keys appear as unknown signatures; the spec says skip them.
    text, names = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER_VKEY])
    assert names == ["PeterNeumann"]
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + ENOCH_SIG, [PETER_VKEY])


def test_bad_signature_by_a_known_key_rejects_the_note():
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [PETER_VKEY])
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT.replace("problem", "Problem", 1) + "\n" + PETER_SIG, [PETER_VKEY])


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
        TEXT + "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
    ],
)
def test_malformed_notes_are_refused(note):
    with pytest.raises(MalformedNoteError):
        open_note(note, [PETER_VKEY])


def test_invalid_utf8_is_refused():
    with pytest.raises(MalformedNoteError):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [PETER_VKEY])


def test_every_mangled_vkey_is_refused():
    # Same sweep as Go's TestNewVerifier: every proper substring and every single-byte bump.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(KeyFormatError):
                    parse_vkey(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        with pytest.raises(KeyFormatError):
            parse_vkey(PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :])
    with pytest.raises(KeyFormatError):
        parse_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(KeyFormatError):
        parse_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_every_mangled_skey_is_refused():
    for i in range(len(PETER_SKEY)):
        with pytest.raises(KeyFormatError):
            parse_skey(PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :])
    for j in range(len(PETER_SKEY)):
        with pytest.raises(KeyFormatError):
            parse_skey(PETER_SKEY[:j])
    with pytest.raises(KeyFormatError):
        parse_skey(PETER_VKEY)


def test_generated_keys_sign_and_verify():
    skey, vkey = generate_key("natres.example/audit")
    assert skey.startswith("PRIVATE+KEY+natres.example/audit+") and vkey.startswith("natres.example/audit+")
    note = sign_note("hello\n", parse_skey(skey))
    assert open_note(note, [vkey]) == ("hello\n", ["natres.example/audit"])
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [generate_key("natres.example/audit")[1]])  # same name, other key: unknown


def test_signer_repr_does_not_leak_the_seed():
    assert "seed" not in repr(parse_skey(PETER_SKEY))


@pytest.mark.parametrize("text", ["abc", "a\x01b\n", ""])
def test_signing_refuses_text_that_could_not_be_opened(text):
    with pytest.raises(MalformedNoteError):
        sign_note(text, parse_skey(PETER_SKEY))


def test_generating_a_key_refuses_bad_names():
    for name in ("", "a+b", "a b", "a\u3000b"):
        with pytest.raises(KeyFormatError):
            generate_key(name)
