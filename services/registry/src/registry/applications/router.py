"""Applications over HTTP: file, documents, resubmit, withdraw, and each office step."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from natres_platform.security import CurrentPrincipal
from registry.applications import filing, workflow
from registry.applications import repository as repo
from registry.applications.access import require_view
from registry.applications.common import load
from registry.applications.multipart import parse_form
from registry.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    DocumentRead,
    Refusal,
    RefuseAcceptance,
    ReviewDecision,
)
from registry.applications.types import TYPE_LABELS
from registry.book import objections
from registry.book.rules import mask_party
from registry.dependencies import Filer, Official, Registrar, RegistryDep, Reviewer
from registry.errors import ApplicationInvalid, DocumentInvalid, DocumentNotFound

router = APIRouter(prefix="/api/v1/applications", tags=["applications 申请"])


def _read(app: dict[str, Any], *, documents: list | None = None, history: list | None = None) -> ApplicationRead:
    return ApplicationRead(
        **{k: v for k, v in app.items() if k in ApplicationRead.model_fields and k not in ("parties", "documents", "history")},
        type_label=TYPE_LABELS[app["type"]],
        parties=[mask_party(p) for p in app["parties"]],
        documents=documents or [],
        history=history or [],
    )


async def _full(registry, application_id: str, principal) -> ApplicationRead:
    async with registry.uow() as uow:
        app = await load(uow, application_id, lock=False)
        require_view(app, principal)
        docs = await repo.documents(uow.session, application_id=application_id)
        hist = await repo.history(uow.session, application_id=application_id)
    return _read(app, documents=docs, history=hist)


@router.post("", status_code=201, response_model=ApplicationRead, summary="申请: file an application")
async def submit(body: ApplicationCreate, registry: RegistryDep, actor: Filer) -> ApplicationRead:
    """Citizens / enterprises online; a registrar at the counter on someone's behalf."""
    app = await filing.submit(registry=registry, data=body, actor=actor)
    return _read(app)


@router.get("", response_model=list[ApplicationRead], summary="My applications, or my office's")
async def list_applications(
    registry: RegistryDep, principal: CurrentPrincipal, status: Annotated[str | None, Query()] = None
) -> list[ApplicationRead]:
    """Officials see their office's; everyone else their own."""
    official = principal.has_role("registrar", "reviewer") and principal.region
    async with registry.uow() as uow:
        rows = await repo.list_for(uow.session, subject=None if official else principal.subject,
                                   office=principal.region if official else None, status=status)
    return [_read(r) for r in rows]


@router.get("/overdue", response_model=list[ApplicationRead], summary="Open applications past their deadline")
async def overdue(registry: RegistryDep, actor: Official) -> list[ApplicationRead]:
    """An office's own; admins and supervisors use /overdue too (all offices)."""
    return [_read(a) for a in await workflow.overdue(registry=registry, actor=actor)]


@router.get("/{application_id}", response_model=ApplicationRead, summary="One application with documents and trail")
async def get(application_id: str, registry: RegistryDep, principal: CurrentPrincipal) -> ApplicationRead:
    """Applicant, filer, the offices involved, overseers."""
    return await _full(registry, application_id, principal)


@router.post("/{application_id}/documents", status_code=201, response_model=DocumentRead,
             summary="Upload a document (multipart/form-data: kind, file)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["kind", "file"],
                 "properties": {"kind": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}}}}})
async def upload(application_id: str, request: Request, registry: RegistryDep, actor: CurrentPrincipal) -> DocumentRead:
    """Stored in the database with its SHA-256."""
    limit = registry.settings.max_document_bytes + 64 * 1024
    if int(request.headers.get("content-length") or 0) > limit:
        raise DocumentInvalid("上传内容过大")
    form = parse_form(await request.body(), request.headers.get("content-type", ""))
    if "file" not in form or "kind" not in form:
        raise DocumentInvalid("缺少字段 kind 或 file")
    part = form["file"]
    doc = await filing.add_document(
        registry=registry, application_id=application_id, kind=form["kind"].data.decode("utf-8", "replace").strip(),
        filename=part.filename or "file", media_type=part.content_type, content=part.data, actor=actor,
    )
    return DocumentRead(**doc)


@router.post("/{application_id}/court-acceptance", summary="异议: record the court's 受理通知书 (the objection stops lapsing)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["court", "case_no", "accepted_on", "file"],
                 "properties": {"court": {"type": "string"}, "case_no": {"type": "string"},
                                "accepted_on": {"type": "string", "format": "date"},
                                "file": {"type": "string", "format": "binary"}}}}}}})
async def court_acceptance(application_id: str, request: Request, registry: RegistryDep, actor: Registrar) -> dict:
    """Registrar of the competent office, while the objection is in force (409 book.objection_lapsed after)."""
    if int(request.headers.get("content-length") or 0) > registry.settings.max_document_bytes + 64 * 1024:
        raise DocumentInvalid("上传内容过大")
    form = parse_form(await request.body(), request.headers.get("content-type", ""))
    missing = [k for k in ("court", "case_no", "accepted_on", "file") if k not in form]
    if missing:
        raise DocumentInvalid(f"缺少字段 {', '.join(missing)}", missing_fields=missing)
    try:
        accepted_on = date.fromisoformat(form["accepted_on"].data.decode().strip())
    except ValueError as exc:
        raise ApplicationInvalid("accepted_on 应为 YYYY-MM-DD", field="accepted_on") from exc
    part = form["file"]
    return await objections.record_court_acceptance(
        registry=registry, application_id=application_id, actor=actor, accepted_on=accepted_on,
        court=form["court"].data.decode("utf-8", "replace"), case_no=form["case_no"].data.decode("utf-8", "replace"),
        filename=part.filename or "notice", media_type=part.content_type, content=part.data,
    )


@router.get("/{application_id}/documents/{document_id}", summary="Download a document")
async def download(application_id: str, document_id: str, registry: RegistryDep, principal: CurrentPrincipal) -> Response:
    """The stored bytes with their digest in a header."""
    async with registry.uow() as uow:
        app = await load(uow, application_id, lock=False)
        require_view(app, principal)
        doc = await repo.document_content(uow.session, application_id=application_id, document_id=document_id)
    if doc is None:
        raise DocumentNotFound(f"材料 {document_id} 不存在")
    return Response(content=bytes(doc["content"]), media_type=doc["media_type"],
                    headers={"X-Content-SHA256": doc["sha256"]})


@router.post("/{application_id}/resubmit", response_model=ApplicationRead, summary="Resubmit after 不予受理")
async def resubmit(application_id: str, registry: RegistryDep, actor: CurrentPrincipal) -> ApplicationRead:
    """Back to submitted."""
    return _read(await filing.resubmit(registry=registry, application_id=application_id, actor=actor))


@router.post("/{application_id}/withdraw", response_model=ApplicationRead, summary="撤回 (before 登簿)")
async def withdraw(application_id: str, registry: RegistryDep, actor: CurrentPrincipal,
                   reason: Annotated[str | None, Body(embed=True)] = None) -> ApplicationRead:
    """The applicant or the filer withdraws."""
    return _read(await filing.withdraw(registry=registry, application_id=application_id, actor=actor, reason=reason))


@router.post("/{application_id}/accept", response_model=ApplicationRead, summary="受理 (registrar of a zone office)")
async def accept(application_id: str, registry: RegistryDep, actor: Registrar) -> ApplicationRead:
    """409 application.incomplete listing every missing item; 403 zone.outside_zone outside the zones."""
    return _read(await workflow.accept(registry=registry, application_id=application_id, actor=actor))


@router.post("/{application_id}/refuse-acceptance", response_model=ApplicationRead, summary="不予受理 + 一次性告知")
async def refuse_acceptance(application_id: str, body: RefuseAcceptance, registry: RegistryDep,
                            actor: Registrar) -> ApplicationRead:
    """One complete list of what is missing."""
    return _read(await workflow.refuse_acceptance(registry=registry, application_id=application_id, actor=actor,
                                                  extra_items=body.missing_items, note=body.note))


@router.post("/{application_id}/review", response_model=ApplicationRead, summary="审核 (reviewer of the competent office)")
async def review(application_id: str, body: ReviewDecision, registry: RegistryDep, actor: Reviewer) -> ApplicationRead:
    """Approve, or refuse with reasons; never by the acceptor."""
    return _read(await workflow.review(registry=registry, application_id=application_id, actor=actor,
                                       approve=body.approve, opinion=body.opinion, reasons=body.reasons))


@router.post("/{application_id}/public-notice", response_model=ApplicationRead, summary="公告 (natural-resource first registration)")
async def public_notice(application_id: str, registry: RegistryDep, actor: Registrar) -> ApplicationRead:
    """Provisional book entry; the notice days do not count toward the time limit."""
    return _read(await workflow.start_public_notice(registry=registry, application_id=application_id, actor=actor))


@router.post("/{application_id}/record", response_model=ApplicationRead, summary="登簿 (registrar of the competent office)")
async def record(application_id: str, registry: RegistryDep, actor: Registrar) -> ApplicationRead:
    """Appends the book entry."""
    return _read(await workflow.record(registry=registry, application_id=application_id, actor=actor))


@router.post("/{application_id}/refuse", response_model=ApplicationRead, summary="不予登记 with reasons")
async def refuse(application_id: str, body: Refusal, registry: RegistryDep, actor: Official) -> ApplicationRead:
    """Competent office only."""
    return _read(await workflow.refuse(registry=registry, application_id=application_id, actor=actor, reasons=body.reasons))


@router.post("/{application_id}/certificate", response_model=ApplicationRead, summary="发证 (registrar of the competent office)")
async def issue_certificate(application_id: str, registry: RegistryDep, actor: Registrar) -> ApplicationRead:
    """Numbered, signed, rendered; the QR opens /verify/certificates/{id}."""
    return _read(await workflow.issue_certificate(registry=registry, application_id=application_id, actor=actor))
