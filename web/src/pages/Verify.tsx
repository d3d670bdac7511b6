// Public certificate verification (the QR code's target): signature, the book (which prevails
// over the certificate) and the audit-log inclusion proof — exactly what the registry answers.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { Badge, Facts, Field, Loading, Page, ProblemBox, useAsync } from "../components";
import { fmtArea, fmtTime, label, regionName } from "../labels";
import { navigate } from "../router";

interface Holder { name: string; id_type?: string; id_number?: string; share?: string | null }
interface Verification {
  certificate_id: string;
  number: string;
  kind: string;
  issued_at: string;
  signature: { algorithm: string; key_id: string; valid: boolean; payload_sha256: string; public_key_pem?: string };
  payload: Record<string, unknown> & {
    unit_code?: string; location?: string; right_type?: string; right_nature?: string; land_use?: string;
    holders?: Holder[]; sharing?: string; area_m2?: string; term?: { start: string | null; end: string | null } | null;
    issuing_office?: { region: string; name: string }; recorded_at?: string;
  };
  book: {
    entry_id: string; entry_version: number; entry_state: string; certificate_matches_current_book: boolean;
    current_entry?: { state_label?: string; version?: number; holders?: Holder[]; restrictions?: { type?: string; label?: string }[] };
    note?: string;
  };
  audit: {
    status: string;
    event_id?: string;
    leaf_index?: number;
    tree_size?: number;
    leaf_hash_matches_event?: boolean;
    proof_verifies_against_checkpoint?: boolean | null;
    inclusion_proof?: string[];
    checkpoint?: string | null;
    note?: string;
  };
}

const KIND: Record<string, string> = { right: "不动产权证书", proof: "不动产登记证明" };
const ENTRY_STATE: Record<string, string> = { provisional: "临时", current: "现势", historical: "历史", terminated: "终止" };

export function VerifyPage({ certificateRef }: { certificateRef?: string }) {
  const [input, setInput] = useState(certificateRef ?? "");
  useEffect(() => setInput(certificateRef ?? ""), [certificateRef]);
  return (
    <Page title="证书核验" intro="核验电子证书（一证一码）：签名是否有效、登记簿现势状态（不动产权利以登记簿为准）以及审计日志包含证明。">
      <form class="card" onSubmit={(e) => {
        e.preventDefault();
        if (input.trim()) navigate(`/verify/certificates/${encodeURIComponent(input.trim())}`);
      }}>
        <Field label="证书编号或证书标识" name="certificate" value={input} onValue={setInput} required
          placeholder="例如：晋(2026)太原市不动产权第0000001号"
          hint="扫描证书二维码会直接打开本页面；也可输入证书上的编号。" />
        <button type="submit">核验</button>
      </form>
      {certificateRef ? <VerifyResult certificateRef={certificateRef} /> : null}
    </Page>
  );
}

function VerifyResult({ certificateRef }: { certificateRef: string }) {
  const result = useAsync(
    () => api<Verification>("registry", `/verify/certificates/${encodeURIComponent(certificateRef)}`, { auth: false }),
    [certificateRef],
  );
  if (result.error instanceof ApiError && result.error.problem.code === "route.not_found") {
    return (
      <div class="notice" role="alert" data-testid="verify-unavailable">
        <p><strong>证书核验服务暂未开放</strong></p>
        <p>登记系统尚未提供公开核验接口，暂时无法核验此证书。本页不会显示任何未经核验的信息。</p>
      </div>
    );
  }
  if (result.error) return <ProblemBox problem={result.error} onRetry={result.reload} />;
  if (!result.data) return <Loading text="正在核验…" />;
  const v = result.data;
  const p = v.payload;
  const valid = v.signature.valid;
  const matches = v.book.certificate_matches_current_book;
  return (
    <div data-testid="verify-result">
      <div class={valid && matches ? "ok-box" : "notice"} role="status">
        <p>
          <strong>{v.number}</strong>（{label(KIND, v.kind)}）：
          {valid ? "签名有效" : "签名无效，证书内容可能被篡改"}；
          {matches ? "与登记簿现势记载一致。" : "证书所载记载已不是登记簿的现势记载，请以登记簿为准。"}
        </p>
      </div>
      <div class="card">
        <h2>证书内容</h2>
        <Facts items={[
          ["证书编号", v.number],
          ["证书种类", label(KIND, v.kind)],
          ["不动产单元号", <code>{p.unit_code}</code>],
          ["坐落", p.location],
          ["权利类型", p.right_type],
          ["权利性质", p.right_nature],
          ["用途", p.land_use],
          ["权利人", (p.holders ?? []).map((h) => `${h.name}（${h.id_type ?? "证件"} ${h.id_number ?? ""}${h.share ? `，份额 ${h.share}` : ""}）`).join("；")],
          ["共有情况", p.sharing],
          ["面积", fmtArea(p.area_m2 ?? null)],
          ["使用期限", p.term ? `${p.term.start ?? "—"} 至 ${p.term.end ?? "—"}` : "—"],
          ["登簿时间", fmtTime(p.recorded_at)],
          ["发证时间", fmtTime(v.issued_at)],
          ["发证机构", p.issuing_office ? `${p.issuing_office.name}（${regionName(p.issuing_office.region)}）` : "—"],
        ]} />
      </div>
      <div class="card">
        <h2>电子签名</h2>
        <Facts items={[
          ["核验结果", valid ? <Badge tone="ok">签名有效</Badge> : <Badge tone="bad">签名无效</Badge>],
          ["算法", v.signature.algorithm],
          ["密钥标识", <code>{v.signature.key_id}</code>],
          ["证书内容摘要（SHA-256）", <code>{v.signature.payload_sha256}</code>],
        ]} />
        {v.signature.public_key_pem ? (
          <details>
            <summary>签名公钥（PEM）</summary>
            <pre class="note">{v.signature.public_key_pem}</pre>
          </details>
        ) : null}
      </div>
      <div class="card">
        <h2>登记簿状态</h2>
        <Facts items={[
          ["证书对应记载", `第 ${v.book.entry_version} 版（${label(ENTRY_STATE, v.book.entry_state)}）`],
          ["与现势记载一致", matches ? <Badge tone="ok">一致</Badge> : <Badge tone="warn">不一致，以登记簿为准</Badge>],
          ["现势记载", v.book.current_entry ? `第 ${v.book.current_entry.version ?? "—"} 版（${v.book.current_entry.state_label ?? "—"}）` : "—"],
          ["现势权利人", (v.book.current_entry?.holders ?? []).map((h) => h.name).join("、") || "—"],
          ["限制", (v.book.current_entry?.restrictions ?? []).map((r) => r.label ?? r.type).join("、") || "无"],
        ]} />
        {v.book.note ? <p class="hint">{v.book.note}</p> : null}
      </div>
      <div class="card">
        <h2>审计日志包含证明</h2>
        {v.audit.status === "included" ? (
          <>
            <p><Badge tone="ok">签发事件已写入审计日志，包含证明验证通过</Badge></p>
            <Facts items={[
              ["签发事件", v.audit.event_id ?? "—"],
              ["日志条目序号 / 树大小", `${v.audit.leaf_index ?? "—"} / ${v.audit.tree_size ?? "—"}`],
              ["事件与日志条目一致", v.audit.leaf_hash_matches_event ? <Badge tone="ok">一致</Badge> : <Badge tone="warn">不一致</Badge>],
              ["证明与签名检查点一致", v.audit.proof_verifies_against_checkpoint ? <Badge tone="ok">一致</Badge> : <Badge tone="warn">未通过</Badge>],
            ]} />
            <details>
              <summary>签名检查点与包含证明（RFC 9162）</summary>
              <pre class="note">{v.audit.checkpoint ?? ""}</pre>
              <pre class="note">{(v.audit.inclusion_proof ?? []).join("\n")}</pre>
            </details>
          </>
        ) : (
          <p><Badge tone="warn">{v.audit.status === "mismatch" ? "包含证明未通过验证" : "暂无包含证明"}</Badge> {v.audit.note ?? "审计日志包含证明暂不可用"}</p>
        )}
      </div>
    </div>
  );
}
