// 监管 (supervisor): alerts raised by the supervision rules, and every bid of a listing with the
// identity and network address behind it.
import { useState } from "preact/hooks";
import { api } from "../api";
import { AsyncView, Badge, Empty, Field, Page, useAsync } from "../components";
import { ALERT_RULES, fmtMoney, fmtTime, label, SEVERITY } from "../labels";
import { Link } from "../router";

interface Alert { id: number; listing_id: string; rule: string; severity: string; message: string; details: Record<string, unknown>; raised_at: string }
interface SupervisedBid { seq: number; bidder_number: string; amount: string | null; placed_at: string; phase: string; bidder_name: string; bidder_subject: string; org_code: string | null; client_ip: string | null; idempotency_key: string | null }

export function SupervisionPage() {
  const alerts = useAsync(() => api<Alert[]>("transactions", "/api/v1/supervision/alerts", { query: { limit: 200 } }), []);
  const [listing, setListing] = useState("");
  const [shown, setShown] = useState("");
  return (
    <Page title="监管" intro="实时监管：仅一名竞买人、临近截止报价、溢价率过高、多名竞买人同一网络地址等预警（闭环监管）。">
      <h2>预警</h2>
      <AsyncView value={alerts}>
        {(rows) => rows.length === 0 ? <Empty>暂无预警。</Empty> : (
          <div class="table-wrap">
            <table data-testid="alerts">
              <thead><tr><th>时间</th><th>级别</th><th>规则</th><th>说明</th><th>交易项目</th></tr></thead>
              <tbody>
                {rows.map((a) => (
                  <tr>
                    <td>{fmtTime(a.raised_at)}</td>
                    <td><Badge tone={a.severity === "high" ? "bad" : a.severity === "warning" ? "warn" : "info"}>{label(SEVERITY, a.severity)}</Badge></td>
                    <td>{label(ALERT_RULES, a.rule)}</td>
                    <td>{a.message}</td>
                    <td><button type="button" class="secondary" onClick={() => { setListing(a.listing_id); setShown(a.listing_id); }}>查看报价明细</button>{" "}
                      <Link href={`/listings/${a.listing_id}`}>竞价室</Link></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
      <h2>报价明细（含竞买人身份）</h2>
      <form class="card" onSubmit={(e) => { e.preventDefault(); setShown(listing.trim()); }}>
        <Field label="交易项目标识" name="listing_id" value={listing} onValue={setListing} required />
        <button type="submit">查询</button>
      </form>
      {shown ? <SupervisedBids id={shown} /> : null}
    </Page>
  );
}

function SupervisedBids({ id }: { id: string }) {
  const bids = useAsync(() => api<SupervisedBid[]>("transactions", `/api/v1/supervision/listings/${encodeURIComponent(id)}/bids`), [id]);
  return (
    <AsyncView value={bids}>
      {(rows) => rows.length === 0 ? <Empty>该项目暂无报价。</Empty> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th class="num">序号</th><th>竞买号</th><th>竞买人</th><th class="num">报价</th><th>时间</th><th>网络地址</th></tr></thead>
            <tbody>
              {rows.map((b) => (
                <tr>
                  <td class="num">{b.seq}</td><td>{b.bidder_number}</td>
                  <td>{b.bidder_name}{b.org_code ? <><br /><code>{b.org_code}</code></> : null}</td>
                  <td class="num">{b.amount ? fmtMoney(b.amount) : "密封"}</td><td>{fmtTime(b.placed_at)}</td><td><code>{b.client_ip ?? "—"}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AsyncView>
  );
}
