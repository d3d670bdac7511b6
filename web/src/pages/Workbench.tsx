// 工作台: the applications of the caller's office (receiving or competent), by status, and the
// overdue ones. Each opens the application page with the registrar's / reviewer's steps.
import { useState } from "preact/hooks";
import { api } from "../api";
import { auth } from "../auth";
import { AsyncView, Page, useAsync } from "../components";
import { regionName } from "../labels";
import { useStore } from "../store";
import { ApplicationTable } from "./MyApplications";
import type { Application } from "./registryTypes";

const TABS: [string, string][] = [
  ["submitted", "待受理"],
  ["accepted", "待审核"],
  ["public_notice", "公告中"],
  ["reviewed", "待登簿"],
  ["recorded", "待发证"],
  ["", "全部"],
  ["overdue", "已超期"],
];

export function WorkbenchPage() {
  const state = useStore(auth);
  const region = state.status === "authenticated" ? state.me.region : null;
  const [tab, setTab] = useState("submitted");
  const result = useAsync(
    () => tab === "overdue"
      ? api<Application[]>("registry", "/api/v1/applications/overdue")
      : api<Application[]>("registry", "/api/v1/applications", { query: { status: tab || undefined } }),
    [tab],
  );
  return (
    <Page title="工作台" intro={`办理机构：${regionName(region)}（受理地与属地的申请；审核、登簿、发证由属地机构办理）`}>
      <div class="tabs" role="group" aria-label="按状态筛选">
        {TABS.map(([value, text]) => (
          <button type="button" aria-pressed={tab === value} onClick={() => setTab(value)}>{text}</button>
        ))}
      </div>
      <AsyncView value={result}>{(rows) => <ApplicationTable rows={rows} />}</AsyncView>
    </Page>
  );
}
