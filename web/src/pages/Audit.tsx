// 审计 (auditor): query the tamper-evident log by aggregate, actor, event type, region and time;
// each entry with its RFC 9162 inclusion proof, checked here against the signed checkpoint's root.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, download } from "../api";
import { AsyncView, Badge, Empty, Facts, Field, Loading, Page, ProblemBox, useAction, useAsync } from "../components";
import { fmtTime, regionName } from "../labels";
import { rootFromInclusionProof } from "../merkle";
import { useLocation } from "../router";

interface Checkpoint { origin: string; size: number; root_hash: string; note: string; published_at: string }
interface Entry {
  index: number; event_id: string; type: string; source: string; subject: string; actor: string; region: string | null;
  time: string; appended_at: string; leaf_hash: string; event: Record<string, unknown>; proof: string[] | null;
}
interface EntryDetail extends Entry { checkpoint: Checkpoint | null }
interface EntryPage { items: Entry[]; next_cursor: number | null; checkpoint: Checkpoint | null }

const FILTERS: [string, string, string][] = [
  ["subject", "对象标识（subject）", "如申请、单元或交易项目的标识"],
  ["actor", "操作人（actor）", "令牌主体或服务账号"],
  ["type", "事件类型", "如 registry.record.viewed.v1"],
  ["region", "行政区划代码", "6 位，如 140107"],
];

export function AuditPage() {
  const { query: url } = useLocation();
  const [cpTick, setCpTick] = useState(0);
  const latest = useAsync(() => api<Checkpoint>("audit", "/api/v1/audit/checkpoints/latest", { auth: false }), [cpTick]);
  // Filters may come in the address (/audit?subject=<application id>), e.g. from a link.
  const initial = Object.fromEntries(FILTERS.map(([k]) => [k, url.get(k) ?? ""]).filter(([, v]) => v));
  const [form, setForm] = useState<Record<string, string>>(initial);
  const [query, setQuery] = useState<Record<string, string>>({});
  const [pages, setPages] = useState<Entry[][]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const iso = (v?: string) => (v ? `${v.length === 16 ? `${v}:00` : v}+08:00` : undefined);
  const params = (q: Record<string, string>) => ({
    subject: q.subject, actor: q.actor, type: q.type, region: q.region, since: iso(q.since), until: iso(q.until),
  });
  const search = useAction(async (q: Record<string, string>, after: number) => {
    const page = await api<EntryPage>("audit", "/api/v1/audit/entries", { query: { ...params(q), after, limit: 50 } });
    setPages((old) => (after === -1 ? [page.items] : [...old, page.items]));
    setCursor(page.next_cursor);
  });
  const exporter = useAction((fmt: "ndjson" | "csv") =>
    download("audit", `/api/v1/audit/entries.${fmt}`, `audit-entries.${fmt}`, { query: params(query) }));
  const publish = useAction(async () => {
    await api<Checkpoint>("audit", "/api/v1/audit/checkpoints", { method: "POST" });
    setCpTick((t) => t + 1);
  });
  useEffect(() => {
    if (Object.keys(initial).length) {
      setQuery(initial);
      void search.run(initial, -1);
    }
  }, []);
  const rows = pages.flat();
  return (
    <Page title="审计" intro="全过程留痕：每个事件写入只增不改的 Merkle 日志（RFC 9162），定期发布签名检查点；审计人员的查询本身也会被记录。">
      <div class="card">
        <h2>最新检查点</h2>
        <AsyncView value={latest}>
          {(c) => (
            <>
              <Facts items={[["日志", c.origin], ["条目数", String(c.size)], ["根哈希", <code>{c.root_hash}</code>], ["发布时间", fmtTime(c.published_at)]]} />
              <details><summary>签名检查点（C2SP signed note）</summary><pre class="note">{c.note}</pre></details>
            </>
          )}
        </AsyncView>
        <div class="form-actions">
          <button type="button" class="secondary" disabled={publish.busy} onClick={() => void publish.run()}>立即发布检查点</button>
          <span class="hint">检查点每 30 秒自动发布；新写入的条目在下一个检查点发布后才能验证包含证明。</span>
        </div>
        {publish.problem ? <ProblemBox problem={publish.problem} /> : null}
      </div>
      <form class="card" onSubmit={(e) => { e.preventDefault(); setQuery(form); setSelected(null); void search.run(form, -1); }}>
        <h2>查询条件</h2>
        <div class="form-grid">
          {FILTERS.map(([k, text, hint]) => (
            <Field label={text} name={k} value={form[k] ?? ""} hint={hint} onValue={(v) => setForm({ ...form, [k]: v })} />
          ))}
          <Field label="起始时间" name="since" type="datetime-local" value={form.since ?? ""} onValue={(v) => setForm({ ...form, since: v })} hint="北京时间" />
          <Field label="截止时间" name="until" type="datetime-local" value={form.until ?? ""} onValue={(v) => setForm({ ...form, until: v })} hint="北京时间" />
        </div>
        <div class="form-actions">
          <button type="submit" disabled={search.busy}>查询</button>
          <button type="button" class="secondary" disabled={exporter.busy} onClick={() => void exporter.run("ndjson")}>导出 NDJSON</button>
          <button type="button" class="secondary" disabled={exporter.busy} onClick={() => void exporter.run("csv")}>导出 CSV</button>
        </div>
      </form>
      {search.problem ? <ProblemBox problem={search.problem} /> : null}
      {exporter.problem ? <ProblemBox problem={exporter.problem} /> : null}
      {search.busy && !rows.length ? <Loading /> : null}
      {pages.length && !rows.length ? <Empty>没有符合条件的事件。</Empty> : null}
      {rows.length ? (
        <div class="table-wrap">
          <table data-testid="audit-entries">
            <thead><tr><th class="num">序号</th><th>事件时间</th><th>事件类型</th><th>对象</th><th>操作人</th><th>区划</th><th></th></tr></thead>
            <tbody>
              {rows.map((e) => (
                <tr>
                  <td class="num">{e.index}</td><td>{fmtTime(e.time)}</td><td><code>{e.type}</code></td>
                  <td><code>{e.subject}</code></td><td><code>{e.actor}</code></td><td>{e.region ? regionName(e.region) : "—"}</td>
                  <td><button type="button" class="secondary" onClick={() => setSelected(e.index)}>详情与证明</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor !== null ? <button type="button" class="secondary" disabled={search.busy} onClick={() => void search.run(query, cursor)}>加载更多</button> : null}
      {selected !== null ? <EntryCard index={selected} tick={cpTick} /> : null}
    </Page>
  );
}

function EntryCard({ index, tick }: { index: number; tick: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.scrollIntoView({ block: "start" }), [index]);
  const entry = useAsync(() => api<EntryDetail>("audit", `/api/v1/audit/entries/${index}`), [index, tick]);
  const check = useAsync(async () => {
    const e = entry.data;
    if (!e?.checkpoint || !e.proof) return null;
    const root = await rootFromInclusionProof(e.index, e.checkpoint.size, e.leaf_hash, e.proof);
    return { root, ok: root === e.checkpoint.root_hash };
  }, [entry.data]);
  return (
    <div class="card" data-testid="audit-entry" ref={box}>
      <h2>条目 #{index}</h2>
      {entry.error ? <ProblemBox problem={entry.error} /> : null}
      {entry.data ? (
        <>
          <Facts items={[
            ["事件标识", <code>{entry.data.event_id}</code>], ["来源", entry.data.source],
            ["写入日志时间", fmtTime(entry.data.appended_at)], ["叶子哈希", <code>{entry.data.leaf_hash}</code>],
            ["检查点", entry.data.checkpoint ? `条目数 ${entry.data.checkpoint.size}` : "尚无覆盖此条目的检查点"],
            ["包含证明（浏览器内验证）", !entry.data.checkpoint ? "—" : check.loading || check.data === undefined ? "验证中…" :
              check.data?.ok ? <Badge tone="ok">验证通过：根哈希与检查点一致</Badge> : <Badge tone="bad">验证失败</Badge>],
          ]} />
          <p class="hint">浏览器按 RFC 9162 由叶子哈希与审计路径计算根哈希并与检查点比对；检查点签名请用离线校验工具验证。</p>
          <details><summary>事件内容（CloudEvents）</summary><pre class="note">{JSON.stringify(entry.data.event, null, 2)}</pre></details>
        </>
      ) : entry.error ? null : <Loading />}
    </div>
  );
}
