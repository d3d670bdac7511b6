import { api } from "../api";
import { AsyncView, Badge, Empty, Page, useAsync } from "../components";
import { fmtDate, fmtTime, label, RIGHT_TYPES, UNIT_KINDS } from "../labels";
import { Link } from "../router";

/** GET /api/v1/book/mine answers at most this many units (ordered by code, no cursor). */
const MINE_LIMIT = 200;

interface Held {
  unit_code: string;
  unit_kind: string;
  id: string;
  unit_id: string;
  version: number;
  right_type: string | null;
  sharing: string | null;
  term_start: string | null;
  term_end: string | null;
  land_use: string | null;
  state: string;
  state_label: string;
  recorded_at: string;
  holders: { name: string; id_number?: string; share?: string | null }[];
  restrictions: { type?: string; label?: string }[];
}

export function MyPropertyPage() {
  const result = useAsync(() => api<Held[]>("registry", "/api/v1/book/mine"), []);
  return (
    <Page title="我的不动产" intro="本人（本单位）名下不动产的登记簿现势记载。证件号码已做脱敏处理。">
      <AsyncView value={result}>
        {(rows) => rows.length === 0 ? <Empty>登记簿中暂无您名下的不动产。</Empty> : (
          <>
          {rows.length >= MINE_LIMIT ? (
            <p class="notice">仅显示按单元代码排序的前 {MINE_LIMIT} 个单元（登记系统暂不支持分页）。其他单元请用 <Link href="/book">登记簿查询</Link>。</p>
          ) : null}
          <div class="table-wrap">
            <table>
              <thead>
                <tr><th>不动产单元代码</th><th>单元类型</th><th>权利类型</th><th>权利人</th><th>使用期限</th><th>状态</th><th>限制</th><th>登簿时间</th></tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td><Link href={`/book?unit=${encodeURIComponent(r.unit_id)}`}><code>{r.unit_code}</code></Link></td>
                    <td>{label(UNIT_KINDS, r.unit_kind)}</td>
                    <td>{label(RIGHT_TYPES, r.right_type)}</td>
                    <td>{r.holders.map((h) => `${h.name}${h.share ? `（${h.share}）` : ""}`).join("、")}</td>
                    <td>{r.term_start || r.term_end ? `${fmtDate(r.term_start)} 至 ${fmtDate(r.term_end)}` : "—"}</td>
                    <td><Badge tone={r.state === "current" ? "ok" : "neutral"}>{r.state_label}</Badge></td>
                    <td>{r.restrictions.map((x) => x.label ?? x.type).join("、") || "无"}</td>
                    <td>{fmtTime(r.recorded_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          </>
        )}
      </AsyncView>
    </Page>
  );
}
