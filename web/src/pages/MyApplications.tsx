import { api } from "../api";
import { AsyncView, Badge, Empty, Page, useAsync } from "../components";
import { APPLICATION_STATUS, fmtDate, fmtTime, label } from "../labels";
import { Link } from "../router";
import type { Application } from "./registryTypes";

export function statusTone(status: string): "ok" | "warn" | "bad" | "info" | "neutral" {
  if (status === "certified" || status === "recorded") return "ok";
  if (status === "refused" || status === "refused_acceptance") return "bad";
  if (status === "withdrawn") return "neutral";
  return "info";
}

export function ApplicationTable({ rows }: { rows: Application[] }) {
  if (!rows.length) return <Empty>暂无申请。</Empty>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr><th>申请编号</th><th>登记类型</th><th>状态</th><th>申请人</th><th>提交时间</th><th>办结期限</th></tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr>
              <td><Link href={`/applications/${a.id}`}>{a.number}</Link></td>
              <td>{a.type_label}</td>
              <td><Badge tone={statusTone(a.status)}>{label(APPLICATION_STATUS, a.status)}</Badge></td>
              <td>{a.applicant_name ?? "—"}</td>
              <td>{fmtTime(a.submitted_at)}</td>
              <td>{fmtDate(a.deadline)}{a.deadline_provisional ? "（暂定）" : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MyApplicationsPage() {
  const result = useAsync(() => api<Application[]>("registry", "/api/v1/applications"), []);
  return (
    <Page title="我的申请" intro="网上申请不动产登记（一次都不跑、全程网上办），跟踪受理、审核、登簿、发证进度。"
      actions={<Link class="button" href="/applications/new">新建申请</Link>}>
      <AsyncView value={result}>{(rows) => <ApplicationTable rows={rows} />}</AsyncView>
    </Page>
  );
}
