"""Certificates: the public verification endpoint (QR target) and the PDF for those entitled to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from natres_platform.security import CurrentPrincipal
from registry.applications import repository as apps_repo
from registry.applications.access import require_view
from registry.certificates import service
from registry.dependencies import RegistryDep

public_router = APIRouter(tags=["certificates 证书核验"])
router = APIRouter(prefix="/api/v1/certificates", tags=["certificates 证书核验"])


@public_router.get("/verify/certificates/{ref}", summary="Public verification of a certificate (by id or number)")
async def verify(ref: str, registry: RegistryDep) -> dict[str, Any]:
    """Signature validity, the current book (which prevails), and the audit inclusion proof when available."""
    return await service.verify(registry=registry, ref=ref)


@public_router.get("/verify/public-key", summary="The certificate-signing public key (PEM)")
async def public_key(registry: RegistryDep) -> Response:
    """For offline verification of signed payloads."""
    return Response(registry.signer.public_pem(), media_type="application/x-pem-file",
                    headers={"X-Key-Id": registry.signer.key_id})


@router.get("/{ref}/pdf", summary="The certificate PDF (holder, filer, officials)")
async def pdf(ref: str, registry: RegistryDep, principal: CurrentPrincipal) -> Response:
    """application/pdf."""
    async with registry.uow() as uow:
        cert = await service.load_certificate(uow, ref=ref, with_pdf=True)
        app = await apps_repo.get_application(uow.session, application_id=cert["application_id"])
    require_view(app, principal)
    return Response(bytes(cert["pdf"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{cert["id"]}.pdf"'})
