// One application: its facts, parties, documents, trail, and the steps the caller may take.
// Buttons follow the caller's roles; whether a step is allowed now is the registry's call, and
// its refusal (problem+json) is shown as it comes.
import { useState } from "preact/hooks";
import { api, download } from "../api";
import { auth, hasRole } from "../auth";
import { AsyncView, Badge, Facts, Page, ProblemBox, SelectField, TextArea, useAction, useAsync } from "../components";
import { APPLICATION_STATUS, DOCUMENT_KINDS, HISTORY_ACTIONS, fmtDate, fmtTime, label, LAND_USES, regionName, RIGHT_TYPES } from "../labels";
import { Link, useLocation } from "../router";
import { useStore } from "../store";
import { statusTone } from "./MyApplications";
import type { Application } from "./registryTypes";

const ROLES: Record<string, string> = { holder: "权利人", obligor: "义务人", mortgagee: "抵押权人", applicant: "申请人" };
const DETAIL_LABELS: Record<string, string> = {
  right_type: "权利类型", land_use: "用途", source: "权利来源", term_start: "期限起", term_end: "期限止", sharing: "共有情况",
  amount: "被担保债权数额（元）", mortgage_id: "抵押登记标识", court: "人民法院", document_no: "法律文书文号",
  corrections: "更正内容", owner_representative: "所有权代表行使主体", agent_representative: "代理行使主体",
};
const lines = (s: string) => s.split("\n").map((x) => x.trim()).filter(Boolean);

export function ApplicationDetailPage({ id }: { id: string }) {
  const result = useAsync(() => api<Application>("registry", `/api/v1/applications/${encodeURIComponent(id)}`), [id]);
  return (
    <Page title="申请详情">
      <AsyncView value={result}>{(app) => <Detail app={app} reload={result.reload} />}</AsyncView>
    </Page>
  );
}

function detailValue(k: string, v: unknown): string {
  if (k === "right_type") return label(RIGHT_TYPES, String(v));
  if (k === "land_use") return label(LAND_USES, String(v));
  return typeof v === "string" ? v : JSON.stringify(v);
}

function historyNote(note: unknown): string {
  if (note === null || note === undefined || note === "") return "";
  if (typeof note !== "object") return String(note);
  const n = note as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof n.kind === "string") parts.push(`材料：${label(DOCUMENT_KINDS, n.kind)}`);
  if (typeof n.reason === "string" && n.reason) parts.push(`原因：${n.reason}`);
  if (typeof n.note === "string" && n.note) parts.push(n.note);
  if (typeof n.opinion === "string" && n.opinion) parts.push(`意见：${n.opinion}`);
  if (typeof n.certificate_number === "string") parts.push(`证书：${n.certificate_number}`);
  return parts.join("；");
}

function CertificateNumber({ id }: { id: string }) {
  const v = useAsync(() => api<{ number: string }>("registry", `/verify/certificates/${encodeURIComponent(id)}`, { auth: false }), [id]);
  return v.data ? <>证书编号：<strong data-testid="certificate-number">{v.data.number}</strong>。</> : null;
}

function Detail({ app, reload }: { app: Application; reload: () => void }) {
  const state = useStore(auth);
  const { query } = useLocation();
  const me = state.status === "authenticated" ? state.me : null;
  const isApplicant = !!me && (me.subject === app.applicant_subject || hasRole(state, "citizen", "enterprise"));
  const isRegistrar = hasRole(state, "registrar");
  const isReviewer = hasRole(state, "reviewer");
  const step = useAction(async (path: string, body?: unknown) => {
    await api("registry", `/api/v1/applications/${app.id}/${path}`, { method: "POST", body: body ?? {} });
    reload();
  });
  const pdf = useAction(() => download("registry", `/api/v1/certificates/${app.certificate_id}/pdf`, `${app.number}-证书.pdf`));
  return (
    <>
      <div class="card">
        <h2>{app.number} · {app.type_label} <Badge tone={statusTone(app.status)}>{label(APPLICATION_STATUS, app.status)}</Badge></h2>
        <Facts items={[
          ["申请人", app.applicant_name ?? "—"],
          ["受理机构", regionName(app.receiving_office)],
          ["属地（审核登簿）机构", regionName(app.competent_office)],
          ["申请渠道", app.channel === "online" ? "网上申请" : app.channel],
          ["登记单元", <><code>{app.unit_id}</code> <Link href={`/book?unit=${encodeURIComponent(app.unit_id)}`}>查看登记簿</Link></>],
          ["提交时间", fmtTime(app.submitted_at)],
          ["受理时间", fmtTime(app.accepted_at)],
          ["审核时间", fmtTime(app.reviewed_at)],
          ["登簿时间", fmtTime(app.recorded_at)],
          ["法定时限", app.time_limit_days ? `${app.time_limit_days} 个工作日` : "—"],
          ["办结期限", `${fmtDate(app.deadline)}${app.deadline_provisional ? "（暂定）" : ""}`],
          ["公告期", app.notice_start ? `${fmtDate(app.notice_start)} 至 ${fmtDate(app.notice_end)}` : "—"],
        ]} />
        {app.listing_id ? <p>来自交易项目：<Link href={`/listings/${app.listing_id}`}>查看交易项目</Link></p> : null}
      </div>

      {app.certificate_id ? (
        <div class="ok-box">
          <p><strong>已发证。</strong> <CertificateNumber id={app.certificate_id} />{" "}
            <Link href={`/verify/certificates/${app.certificate_id}`}>核验电子证书</Link>{" · "}
            <button type="button" class="secondary" disabled={pdf.busy} onClick={() => void pdf.run()}>下载证书 PDF</button>
          </p>
          {pdf.problem ? <ProblemBox problem={pdf.problem} /> : null}
        </div>
      ) : null}

      {query.get("boundary") === "failed" ? (
        <div class="notice" role="alert">
          <p>申请已提交，但所绘（或上传）的宗地边界未能随申请上传。请在下方“申请材料”中选择“{DOCUMENT_KINDS.boundary}”重新上传。</p>
        </div>
      ) : null}
      {app.missing_items.length ? (
        <div class="notice">
          <p><strong>需要补正的材料（一次性告知）</strong></p>
          <ul>{app.missing_items.map((m) => <li>{m.label ?? label(DOCUMENT_KINDS, String(m.kind ?? "")) ?? JSON.stringify(m)}</li>)}</ul>
        </div>
      ) : null}
      {app.refusal_reasons.length ? (
        <div class="problem"><p><strong>不予登记理由</strong></p><ul>{app.refusal_reasons.map((r) => <li>{r}</li>)}</ul></div>
      ) : null}

      <div class="two-col">
        <div class="card">
          <h2>当事人</h2>
          <ul>
            {app.parties.map((p) => <li>{label(ROLES, p.role)}：{p.name}（{p.id_type ?? "证件"} {p.id_number ?? ""}）{p.share ? `，份额 ${p.share}` : ""}</li>)}
          </ul>
        </div>
        <div class="card">
          <h2>申请事项</h2>
          {Object.keys(app.details).length ? (
            <Facts items={Object.entries(app.details).map(([k, v]) => [DETAIL_LABELS[k] ?? k, detailValue(k, v)])} />
          ) : <p class="empty">无</p>}
        </div>
      </div>

      <Documents app={app} reload={reload}
        canUpload={(isApplicant || isRegistrar) && (app.status === "submitted" || app.status === "refused_acceptance")} />

      {step.problem ? <ProblemBox problem={step.problem} /> : null}
      {isApplicant ? <ApplicantActions app={app} run={step.run} busy={step.busy} /> : null}
      {isRegistrar ? <RegistrarActions app={app} run={step.run} busy={step.busy} /> : null}
      {isReviewer ? <ReviewerActions run={step.run} busy={step.busy} /> : null}

      <div class="card">
        <h2>办理记录（全过程留痕）</h2>
        {app.history.length === 0 ? <p class="empty">暂无记录。</p> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th>时间</th><th>环节</th><th>状态变化</th><th>机构</th><th>说明</th></tr></thead>
              <tbody>
                {app.history.map((h) => (
                  <tr>
                    <td>{fmtTime((h.at ?? h.created_at ?? h.occurred_at) as string)}</td>
                    <td>{label(HISTORY_ACTIONS, h.action)}</td>
                    <td>{h.from_status ? `${label(APPLICATION_STATUS, h.from_status)} → ` : ""}{label(APPLICATION_STATUS, h.to_status)}</td>
                    <td>{h.office ? regionName(h.office) : "—"}</td>
                    <td>{historyNote(h.note)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

function Documents({ app, canUpload, reload }: { app: Application; canUpload: boolean; reload: () => void }) {
  const [kind, setKind] = useState("identity");
  const [file, setFile] = useState<File | null>(null);
  const upload = useAction(async () => {
    if (!file) return;
    const form = new FormData();
    form.set("kind", kind);
    form.set("file", file, file.name);
    await api("registry", `/api/v1/applications/${app.id}/documents`, { method: "POST", form });
    setFile(null);
    reload();
  });
  const fetchDoc = useAction(async (docId: string, name: string) =>
    download("registry", `/api/v1/applications/${app.id}/documents/${docId}`, name));
  return (
    <div class="card">
      <h2>申请材料</h2>
      {app.documents.length === 0 ? <p class="empty">尚未上传材料。</p> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th>材料</th><th>文件</th><th class="num">大小</th><th>上传时间</th><th>SHA-256</th></tr></thead>
            <tbody>
              {app.documents.map((d) => (
                <tr>
                  <td>{label(DOCUMENT_KINDS, d.kind)}</td>
                  <td><button type="button" class="secondary" onClick={() => void fetchDoc.run(d.id, d.filename)}>{d.filename}</button></td>
                  <td class="num">{(d.size_bytes / 1024).toFixed(1)} KB</td>
                  <td>{fmtTime(d.uploaded_at)}</td>
                  <td><code>{d.sha256.slice(0, 16)}…</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {fetchDoc.problem ? <ProblemBox problem={fetchDoc.problem} /> : null}
      {canUpload ? (
        <form onSubmit={(e) => { e.preventDefault(); void upload.run(); }}>
          <div class="form-grid">
            <SelectField label="材料类型" name="kind" value={kind} options={DOCUMENT_KINDS} onValue={setKind} />
            <div class="field">
              <label for="doc-file">文件</label>
              <input id="doc-file" type="file" required onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
            </div>
          </div>
          {upload.problem ? <ProblemBox problem={upload.problem} /> : null}
          <button type="submit" disabled={!file || upload.busy}>上传材料</button>
        </form>
      ) : null}
    </div>
  );
}

type Run = (path: string, body?: unknown) => Promise<boolean>;

function ApplicantActions({ app, run, busy }: { app: Application; run: Run; busy: boolean }) {
  const [reason, setReason] = useState("");
  return (
    <div class="card">
      <h2>申请人操作</h2>
      <div class="form-actions">
        {app.status === "refused_acceptance" ? (
          <button type="button" disabled={busy} onClick={() => void run("resubmit")}>补正后重新提交</button>
        ) : null}
      </div>
      <TextArea label="撤回原因" name="withdraw_reason" value={reason} onValue={setReason} rows={2} />
      <button type="button" class="danger" disabled={busy} onClick={() => void run("withdraw", { reason: reason || null })}>撤回申请</button>
    </div>
  );
}

function RegistrarActions({ app, run, busy }: { app: Application; run: Run; busy: boolean }) {
  const [missing, setMissing] = useState("");
  const [note, setNote] = useState("");
  const [reasons, setReasons] = useState("");
  return (
    <div class="card">
      <h2>登记员操作</h2>
      <div class="form-actions">
        <button type="button" disabled={busy} onClick={() => void run("accept")}>受理</button>
        <button type="button" disabled={busy} onClick={() => void run("public-notice")}>发布公告</button>
        <button type="button" disabled={busy} onClick={() => void run("record")}>登簿</button>
        <button type="button" disabled={busy} onClick={() => void run("certificate")}>发证</button>
      </div>
      <details open={app.status === "submitted"}>
        <summary>不予受理（一次性告知）</summary>
        <TextArea label="其他需要补正的内容（每行一项）" name="missing_items" value={missing} onValue={setMissing} />
        <TextArea label="说明" name="note" value={note} onValue={setNote} rows={2} />
        <button type="button" class="danger" disabled={busy}
          onClick={() => void run("refuse-acceptance", { missing_items: lines(missing), note: note || null })}>不予受理</button>
      </details>
      <details>
        <summary>不予登记</summary>
        <TextArea label="不予登记理由（每行一项）" name="refuse_reasons" value={reasons} onValue={setReasons} required />
        <button type="button" class="danger" disabled={busy || !lines(reasons).length}
          onClick={() => void run("refuse", { reasons: lines(reasons) })}>不予登记</button>
      </details>
    </div>
  );
}

function ReviewerActions({ run, busy }: { run: Run; busy: boolean }) {
  const [opinion, setOpinion] = useState("");
  const [reasons, setReasons] = useState("");
  return (
    <div class="card">
      <h2>审核</h2>
      <TextArea label="审核意见" name="opinion" value={opinion} onValue={setOpinion} required />
      <TextArea label="不通过理由（每行一项，不通过时填写）" name="review_reasons" value={reasons} onValue={setReasons} rows={2} />
      <div class="form-actions">
        <button type="button" disabled={busy || !opinion.trim()} onClick={() => void run("review", { approve: true, opinion, reasons: [] })}>审核通过</button>
        <button type="button" class="danger" disabled={busy || !opinion.trim()}
          onClick={() => void run("review", { approve: false, opinion, reasons: lines(reasons) })}>审核不通过</button>
      </div>
    </div>
  );
}
