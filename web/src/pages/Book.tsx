// 登记簿查询: a unit's register book — every append-only version, the current one, restrictions —
// now or "as of" an instant, with the stated purpose (查询目的). Reading someone else's record is
// logged by the registry (registry.record.viewed.v1, 查询留痕); the page says so.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { Badge, Facts, Field, Loading, Page, ProblemBox, TextArea, useAsync } from "../components";
import { fmtArea, fmtDate, fmtTime, label, LAND_USES, regionName, RIGHT_TYPES, UNIT_KINDS, UNIT_STATUS } from "../labels";
import { Link, navigate, useLocation } from "../router";
import { beijing } from "./TradingAdmin";

interface Holder { name: string; id_type?: string; id_number?: string; share?: string | null }
interface Restriction { kind?: string; type?: string; label?: string; [k: string]: unknown }
interface Entry {
  id: string; version: number; right_type: string | null; sharing: string | null; term_start: string | null; term_end: string | null;
  source: string | null; land_use: string | null; registration_type: string | null; recorded_at: string; application_id: string | null;
  state: string; state_label: string; holders: Holder[]; restrictions: Restriction[];
}
interface Book {
  unit: { id: string; code: string; kind: string; layer: string; county_code: string; status: string; area_m2: string | null;
    location: string | null; in_trade_listing_id: string | null };
  as_of: string | null;
  current: Entry | null;
  restrictions: Restriction[];
  entries: Entry[];
  view_logged: boolean;
  purpose: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REG_TYPES: Record<string, string> = {
  first: "首次登记", change: "变更登记", transfer: "转移登记", cancellation: "注销登记", correction: "更正登记",
  objection: "异议登记", advance_notice: "预告登记", seizure: "查封登记", mortgage: "抵押登记", mortgage_discharge: "抵押权注销登记",
};
const STATE_TONE: Record<string, "ok" | "neutral" | "warn" | "bad"> = { current: "ok", historical: "neutral", provisional: "warn", terminated: "bad" };

/** "2026-11-29T16:30" (Beijing) from an ISO instant, for a datetime-local input. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const bj = new Date(d.getTime() + 8 * 3600_000);
  return bj.toISOString().slice(0, 19);
}

async function readBook(ref: string, purpose: string, asOf: string): Promise<Book> {
  const q = { purpose: purpose || undefined };
  if (UUID.test(ref)) {
    return api<Book>("registry", `/api/v1/units/${encodeURIComponent(ref)}/book`, { query: { ...q, as_of: asOf || undefined } });
  }
  // By code: the registry's by-code read has no "as of", so an "as of" read resolves the code first.
  const now = await api<Book>("registry", `/api/v1/book/by-code/${encodeURIComponent(ref)}`, { query: q });
  if (!asOf) return now;
  return api<Book>("registry", `/api/v1/units/${encodeURIComponent(now.unit.id)}/book`, { query: { ...q, as_of: asOf } });
}

export function BookPage() {
  const { query } = useLocation();
  const ref = (query.get("unit") ?? "").trim();
  const purpose = query.get("purpose") ?? "";
  const asOf = query.get("as_of") ?? "";
  const [form, setForm] = useState({ unit: ref, purpose, as_of: asOf ? toLocalInput(asOf) : "" });
  useEffect(() => setForm({ unit: ref, purpose, as_of: asOf ? toLocalInput(asOf) : "" }), [ref, purpose, asOf]);
  const submit = () => {
    const p = new URLSearchParams();
    if (form.unit.trim()) p.set("unit", form.unit.trim());
    if (form.purpose.trim()) p.set("purpose", form.purpose.trim());
    const instant = beijing(form.as_of);
    if (instant) p.set("as_of", instant);
    navigate(`/book?${p.toString()}`);
  };
  return (
    <Page title="登记簿查询"
      intro="按不动产单元代码或单元标识查询登记簿（一个簿）：只增不改的各版记载、现势记载与权利限制。可查询某一时点的登记簿。查询本人名下以外的登记资料须说明查询目的，查询将被记录（查询留痕）。">
      <form class="card" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <div class="form-grid">
          <Field label="不动产单元代码或单元标识" name="unit" value={form.unit} required
            onValue={(v) => setForm({ ...form, unit: v })} hint="如 140107…GB…W00000000，或申请详情中的单元标识" />
          <Field label="截至时间（可选）" name="as_of" type="datetime-local" step={1} value={form.as_of}
            onValue={(v) => setForm({ ...form, as_of: v })} hint="北京时间；不填为当前登记簿" />
        </div>
        <TextArea label="查询目的" name="purpose" value={form.purpose} rows={2} onValue={(v) => setForm({ ...form, purpose: v })}
          hint="查询他人登记资料时必填（民法典第二百一十八、二百一十九条：权利人、利害关系人可以查询）；登记机构工作人员不填时记为依职权查询。" />
        <button type="submit">查询登记簿</button>
      </form>
      {ref ? <BookResult key={`${ref}|${purpose}|${asOf}`} refValue={ref} purpose={purpose} asOf={asOf} /> : null}
    </Page>
  );
}

function BookResult({ refValue, purpose, asOf }: { refValue: string; purpose: string; asOf: string }) {
  const result = useAsync(() => readBook(refValue, purpose, asOf), [refValue, purpose, asOf]);
  if (result.error) return <ProblemBox problem={result.error} onRetry={result.reload} />;
  if (!result.data) return <Loading text="正在读取登记簿…" />;
  const b = result.data;
  const u = b.unit;
  return (
    <div data-testid="book">
      <div class={b.as_of ? "notice" : "ok-box"} role="status" data-testid="book-scope">
        <p>
          {b.as_of ? <>以下为 <strong>{fmtTime(b.as_of)}</strong> 时登记簿的记载（历史时点）。</> : <>以下为当前登记簿的记载。</>}
          {b.view_logged ? <> 本次查询已记录（查询留痕），查询目的：{b.purpose?.startsWith("official:") ? "依职权查询" : b.purpose}。</> : <> 本人名下的登记资料，未作留痕记录。</>}
        </p>
      </div>
      <div class="card">
        <h2>不动产单元 <code>{u.code}</code></h2>
        <Facts items={[
          ["单元标识", <code>{u.id}</code>],
          ["类型", label(UNIT_KINDS, u.kind)],
          ["所在县区", regionName(u.county_code)],
          ["坐落", u.location ?? "—"],
          ["面积", fmtArea(u.area_m2)],
          ["单元状态", label(UNIT_STATUS, u.status)],
          ["交易", u.in_trade_listing_id ? <Link href={`/listings/${u.in_trade_listing_id}`}>交易中，查看项目</Link> : "未在交易中"],
        ]} />
      </div>
      <div class="card" data-testid="book-current">
        <h2>{b.as_of ? "该时点的现势记载" : "现势记载"}</h2>
        {b.current ? (
          <>
            <p><Badge tone={STATE_TONE[b.current.state] ?? "neutral"}>{b.current.state_label}</Badge> 第 {b.current.version} 版</p>
            <Facts items={[
              ["权利类型", label(RIGHT_TYPES, b.current.right_type)],
              ["权利人", b.current.holders.map((h) => `${h.name}（${h.id_type ?? "证件"} ${h.id_number ?? ""}${h.share ? `，份额 ${h.share}` : ""}）`).join("；") || "—"],
              ["共有情况", b.current.sharing ?? "—"],
              ["权利来源", b.current.source ?? "—"],
              ["用途", label(LAND_USES, b.current.land_use)],
              ["使用期限", b.current.term_start || b.current.term_end ? `${fmtDate(b.current.term_start)} 至 ${fmtDate(b.current.term_end)}` : "—"],
              ["登记类型", label(REG_TYPES, b.current.registration_type)],
              ["登簿时间", fmtTime(b.current.recorded_at)],
              ["权利限制", b.restrictions.map((r) => r.label ?? r.kind ?? r.type).join("、") || "无"],
            ]} />
          </>
        ) : <p class="empty">{b.as_of ? "该时点登记簿尚无此单元的记载。" : "登记簿尚无此单元的记载。"}</p>}
      </div>
      <h2>登记簿各版记载（只增不改）</h2>
      {b.entries.length === 0 ? <p class="empty">无记载。</p> : (
        <div class="table-wrap">
          <table data-testid="book-entries">
            <thead><tr><th class="num">版本</th><th>状态</th><th>登记类型</th><th>权利类型</th><th>权利人</th><th>限制</th><th>登簿时间</th></tr></thead>
            <tbody>
              {[...b.entries].reverse().map((e) => (
                <tr>
                  <td class="num">{e.version}</td>
                  <td><Badge tone={STATE_TONE[e.state] ?? "neutral"}>{e.state_label}</Badge></td>
                  <td>{label(REG_TYPES, e.registration_type)}</td>
                  <td>{label(RIGHT_TYPES, e.right_type)}</td>
                  <td>{e.holders.map((h) => h.name).join("、") || "—"}</td>
                  <td>{e.restrictions.map((r) => r.label ?? r.kind ?? r.type).join("、") || "无"}</td>
                  <td>{fmtTime(e.recorded_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
