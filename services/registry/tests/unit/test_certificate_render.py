"""The certificate PDF: text is extractable exactly and the QR code decodes to the URL."""

import io
import shutil
import subprocess

import pypdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.certificates.payload import sign_payload, signature_fingerprint
from registry.certificates.render import qr_png, render_certificate_pdf

LABELS = ["权利人", "共有情况", "坐落", "不动产单元号", "权利类型", "权利性质", "用途", "面积", "使用期限", "登簿时间", "登记机构"]
ZBARIMG = shutil.which("zbarimg")


def _zbar(png: bytes, tmp_path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    result = subprocess.run([ZBARIMG, "--quiet", "--raw", str(path)], capture_output=True, check=True)
    return result.stdout.decode("utf-8").strip()


def _render(payload, **kwargs):
    signature = sign_payload(payload, Ed25519PrivateKey.generate())
    pdf = render_certificate_pdf(payload, qr_url=payload["verification_url"], signature=signature, **kwargs)
    return signature, pypdf.PdfReader(io.BytesIO(pdf))


@pytest.mark.parametrize("font_path", [None, "/nonexistent/font.ttf"], ids=["embedded-ttf", "cid-fallback"])
def test_pdf_text_has_number_labels_and_values(certificate_payload, font_path):
    signature, reader = _render(certificate_payload, font_path=font_path)
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    text = reader.pages[0].extract_text()
    assert "不动产权证书" in text
    assert "晋(2026)太原市不动产权第0000001号" in text
    for label in LABELS:
        assert label in text
    assert "140107003002GB00012F00010002" in text
    assert "140107********1230" in text and "140107199001011230" not in text
    assert "98.76 平方米" in text and "2026年03月02日 09:30" in text  # 登簿时间 in Beijing time
    assert signature_fingerprint(signature) in text


def test_proof_has_its_own_title(certificate_payload):
    proof = certificate_payload | {"kind": "proof", "certificate_number": "晋(2026)原平市不动产证明第0000001号"}
    _, reader = _render(proof)
    text = reader.pages[0].extract_text()
    assert "不动产登记证明" in text and "晋(2026)原平市不动产证明第0000001号" in text


@pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (Debian zbar-tools) is not installed")
def test_qr_on_the_page_decodes_to_the_verification_url(certificate_payload, tmp_path):
    _, reader = _render(certificate_payload)
    images = reader.pages[0].images
    assert len(images) == 1
    assert _zbar(images[0].data, tmp_path) == certificate_payload["verification_url"]


@pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (Debian zbar-tools) is not installed")
def test_qr_png_round_trips(tmp_path):
    url = "https://registry.natres.example/verify/abc?v=3"
    assert _zbar(qr_png(url), tmp_path) == url
