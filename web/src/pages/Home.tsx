import { useState } from "preact/hooks";
import { auth } from "../auth";
import { Field, Page } from "../components";
import { menuFor } from "../menu";
import { Link, navigate } from "../router";
import { useStore } from "../store";

const BLURBS: Record<string, string> = {
  "/applications": "网上申请不动产登记，上传材料，跟踪办理进度，下载电子证书。",
  "/property": "查看本人（本单位）名下的不动产登记簿现势信息。",
  "/workbench": "本登记机构的申请：受理、审核、登簿、发证，超期提醒。",
  "/trading": "土地使用权和矿业权网上交易：报名、保证金、实时竞价。",
  "/trading-admin": "创建出让项目、发布公告、资格审核、成交与公示。",
  "/supervision": "监管预警与竞价明细（含竞买人身份）。",
  "/audit": "全过程留痕：按对象、操作人、事件类型查询，包含证明与检查点。",
  "/map": "一张图：登记单元、自然资源、交易中的单元与三区三线。",
  "/verify": "扫描证书二维码或输入证书编号，核验电子证书真伪与现势状态。",
  "/announcements": "出让公告、交易项目与成交结果公示。",
};

export function HomePage() {
  const state = useStore(auth);
  const roles = state.status === "authenticated" ? state.me.roles : [];
  const [ref, setRef] = useState("");
  return (
    <Page title="山西省自然资源统一确权登记与交易平台"
      intro="不动产与自然资源统一确权登记（一个簿、一张图、一张网），土地使用权和矿业权网上交易，全过程留痕。">
      <div class="cards">
        {menuFor(roles).filter((i) => i.href !== "/").map((item) => (
          <div class="card">
            <h2><Link href={item.href}>{item.label}</Link></h2>
            <p>{BLURBS[item.href]}</p>
          </div>
        ))}
      </div>
      <form class="card" onSubmit={(e) => {
        e.preventDefault();
        if (ref.trim()) navigate(`/verify/certificates/${encodeURIComponent(ref.trim())}`);
      }}>
        <h2>证书核验</h2>
        <Field label="证书编号或证书标识" name="certificate" value={ref} onValue={setRef}
          placeholder="例如：晋(2026)太原市不动产权第0000001号" />
        <button type="submit">核验</button>
      </form>
    </Page>
  );
}
