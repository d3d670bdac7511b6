// 交易大厅: listings open for registration and bidding; each opens the trading room.
import { api } from "../api";
import { AsyncView, Page, useAsync } from "../components";
import { ListingTable } from "./Announcements";
import { OPEN_STATES, type Listing } from "./tradingTypes";

export function TradingHallPage() {
  const result = useAsync(() => api<Listing[]>("transactions", "/api/v1/listings", { query: { state: OPEN_STATES, limit: 200 } }), []);
  return (
    <Page title="交易大厅" intro="报名、缴纳保证金、资格审核通过后取得竞买号参加竞价。竞价室实时显示报价（仅显示竞买号）、倒计时与状态，以服务器时间为准。">
      <AsyncView value={result}>{(rows) => <ListingTable rows={rows} />}</AsyncView>
    </Page>
  );
}
