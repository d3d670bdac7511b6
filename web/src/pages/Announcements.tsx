// 公告与结果: every listing that was announced (public), with its state and, once published, the result.
import { useState } from "preact/hooks";
import { api } from "../api";
import { AsyncView, Badge, Empty, Page, useAsync } from "../components";
import { fmtMoney, fmtTime, label, LISTING_STATES, METHODS, regionName } from "../labels";
import { Link } from "../router";
import type { Listing } from "./tradingTypes";

export function stateTone(state: string): "ok" | "warn" | "bad" | "info" | "neutral" {
  if (state === "concluded") return "ok";
  if (state === "failed" || state === "terminated") return "bad";
  if (state === "suspended") return "warn";
  if (state === "bidding" || state === "timed_bidding") return "info";
  return "neutral";
}

export function ListingTable({ rows, linkTo = (l) => `/listings/${l.id}` }: { rows: Listing[]; linkTo?: (l: Listing) => string }) {
  if (!rows.length) return <Empty>暂无交易项目。</Empty>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr><th>项目</th><th>方式</th><th>权利类型</th><th>所在县区</th><th>状态</th><th class="num">起始价</th><th class="num">当前/成交价</th><th>挂牌/竞价截止</th></tr>
        </thead>
        <tbody>
          {rows.map((l) => (
            <tr>
              <td><Link href={linkTo(l)}>{l.title}</Link><br /><code class="hint">{l.unit_code}</code></td>
              <td>{label(METHODS, l.method)}</td>
              <td>{l.right_type_label}</td>
              <td>{regionName(l.county_code)}</td>
              <td><Badge tone={stateTone(l.state)}>{label(LISTING_STATES, l.state)}</Badge>{l.published ? <> <Badge tone="ok">已公示</Badge></> : null}</td>
              <td class="num">{fmtMoney(l.start_price)}</td>
              <td class="num">{fmtMoney(l.final_price ?? l.current_price)}</td>
              <td>{fmtTime(l.closes_at ?? l.listing_end)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FILTERS: [string, string, string[]][] = [
  ["open", "进行中", ["announced", "registration", "bidding", "timed_bidding", "suspended"]],
  ["done", "已结束", ["concluded", "failed", "terminated"]],
  ["all", "全部", []],
];

export function AnnouncementsPage() {
  const [filter, setFilter] = useState("open");
  const states = FILTERS.find((f) => f.at(0) === filter)?.[2] ?? [];
  const result = useAsync(
    () => api<Listing[]>("transactions", "/api/v1/listings", { auth: false, query: { state: states, limit: 100 } }),
    [filter],
  );
  return (
    <Page title="公告与结果" intro="国有建设用地使用权、集体经营性建设用地使用权、探矿权、采矿权的出让公告、交易进程与成交结果公示（应上必上）。">
      <div class="tabs" role="group" aria-label="筛选">
        {FILTERS.map(([value, text]) => (
          <button type="button" aria-pressed={filter === value} onClick={() => setFilter(value)}>{text}</button>
        ))}
      </div>
      <AsyncView value={result}>{(rows) => <ListingTable rows={rows.filter((l) => l.state !== "draft")} />}</AsyncView>
    </Page>
  );
}
