"""transactions: place_bid() learns 加价 (server-priced raises); place_bids() admits a batch in one transaction.

A bidder who "raises by N" (the trading room's 加价 button, or an API client bidding its budget)
no longer has to know the price the lock will see: the function prices the bid under the lock
as (the start price, or the current price + one increment) + (N - 1) increments, and refuses it
as 'over_limit' when that exceeds the limit the bidder gave (p_amount). Everything else is
migration 0003's function unchanged; p_steps NULL is the explicit quote it always was.

place_bids() runs place_bid() for each request of a batch, in order, in one transaction: the
first call takes the listing row lock, every later call sees what the earlier ones wrote (each
statement takes a new snapshot), and one commit makes the whole batch durable. A hot listing's
bids then pay the row lock hand-over and the WAL flush once per batch instead of once per bid
(the service batches the requests that arrive while the previous batch is in flight).

Revision ID: transactions_0006
Revises: transactions_0005
Create Date: 2026-11-30
"""

from alembic import op

from natres_platform.migrations import revision_text

revision = "transactions_0006"
down_revision = "transactions_0005"
branch_labels = None
depends_on = None

PLACE_BID = r"""
CREATE OR REPLACE FUNCTION transactions.place_bid(
    p_listing_id uuid,
    p_subject text,
    p_amount numeric,
    p_amount_ok boolean,
    p_key text,
    p_client_ip text,
    p_countdown interval,
    p_late_window interval,
    p_topic text,
    p_event jsonb,
    p_alert jsonb,
    p_event_id uuid,
    p_alert_id uuid,
    p_traceparent text,
    p_steps integer,
    OUT outcome text,
    OUT seq integer,
    OUT bidder_number text,
    OUT amount numeric,
    OUT sealed boolean,
    OUT placed_at timestamptz,
    OUT closes_at timestamptz,
    OUT current_price numeric,
    OUT start_price numeric,
    OUT increment numeric,
    OUT opens_at timestamptz,
    OUT phase text,
    OUT alert_raised boolean
) LANGUAGE plpgsql AS $$
DECLARE
    l record;
    r record;
    v_now timestamptz;
    v_closes timestamptz;
    v_seq integer;
    v_feed_seq bigint;
    v_amount numeric(18, 2);
    v_floor numeric;
    v_left interval;
    v_alert_id bigint;
    v_late jsonb;
    -- CloudEvent.to_dict() leaves out an absent traceparent
    v_trace jsonb := CASE WHEN p_traceparent IS NULL THEN '{}'::jsonb
                          ELSE jsonb_build_object('traceparent', p_traceparent) END;
BEGIN
    alert_raised := false;
    -- 1. Without the lock. Prices only rise, so a quote below the committed price + increment is
    --    too low whatever happens next; a committed bid under this key is replayed as it is.
    SELECT li.method, li.state, li.current_price, li.increment, li.start_price, li.closes_at
      INTO l FROM transactions.listings li WHERE li.id = p_listing_id;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;
    IF l.method = 'tender' THEN
        outcome := 'tender';  -- sealed bids are encrypted by the service: its own path
        RETURN;
    END IF;
    SELECT rg.status AS reg_status, rg.bidder_number, k.seq AS key_seq, k.amount AS key_amount,
           k.sealed IS NOT NULL AS key_sealed, k.placed_at AS key_placed_at
      INTO r
      FROM transactions.registrations rg
      LEFT JOIN transactions.bids k ON k.registration_id = rg.id AND k.idempotency_key = p_key
     WHERE rg.listing_id = p_listing_id AND rg.bidder_subject = p_subject;
    IF NOT FOUND THEN
        outcome := 'not_registered';  -- registrations are never deleted
        RETURN;
    END IF;
    IF r.key_seq IS NOT NULL THEN
        outcome := 'replayed';
        bidder_number := r.bidder_number;
        seq := r.key_seq;
        amount := r.key_amount;
        sealed := r.key_sealed;
        placed_at := r.key_placed_at;
        closes_at := l.closes_at;
        RETURN;
    END IF;
    -- A raise (p_steps increments over the minimum, p_amount its limit) already over its limit
    -- at the committed price stays over it: prices only rise.
    IF l.state IN ('bidding', 'timed_bidding') AND r.reg_status = 'qualified' AND l.current_price IS NOT NULL
       AND p_amount_ok AND p_steps IS NOT NULL AND l.current_price + p_steps * l.increment > p_amount THEN
        outcome := 'over_limit';
        current_price := l.current_price;
        start_price := l.start_price;
        increment := l.increment;
        phase := l.state;
        RETURN;
    END IF;
    IF l.state IN ('bidding', 'timed_bidding') AND r.reg_status = 'qualified' AND l.current_price IS NOT NULL
       AND p_amount_ok AND p_steps IS NULL AND p_amount < l.current_price + l.increment THEN
        outcome := 'too_low';
        current_price := l.current_price;
        start_price := l.start_price;
        increment := l.increment;
        phase := l.state;
        RETURN;
    END IF;

    -- 2. The lock: every bid on this listing serialises here; the row comes back as of the lock.
    SELECT li.id, li.county_code, li.method, li.state, li.start_price, li.increment, li.current_price,
           li.leader_registration_id, li.last_seq, li.opens_at, li.closes_at
      INTO l FROM transactions.listings li WHERE li.id = p_listing_id FOR UPDATE;
    -- A new statement, so a new snapshot: it sees whatever committed while we waited.
    SELECT rg.id AS reg_id, rg.status AS reg_status, rg.bidder_number, rg.wants_continue,
           k.seq AS key_seq, k.amount AS key_amount, k.sealed IS NOT NULL AS key_sealed, k.placed_at AS key_placed_at
      INTO r
      FROM transactions.registrations rg
      LEFT JOIN transactions.bids k ON k.registration_id = rg.id AND k.idempotency_key = p_key
     WHERE rg.listing_id = p_listing_id AND rg.bidder_subject = p_subject;
    current_price := l.current_price;
    start_price := l.start_price;
    increment := l.increment;
    opens_at := l.opens_at;
    closes_at := l.closes_at;
    phase := l.state;
    IF NOT FOUND THEN
        outcome := 'not_registered';
        RETURN;
    END IF;
    bidder_number := r.bidder_number;
    IF r.key_seq IS NOT NULL THEN
        outcome := 'replayed';
        seq := r.key_seq;
        amount := r.key_amount;
        sealed := r.key_sealed;
        placed_at := r.key_placed_at;
        RETURN;
    END IF;

    -- 3. The server clock, read after the lock: a bid that waited behind the close is late.
    v_now := clock_timestamp();
    -- The checks of bidding.rules.check_bid, in its order.
    IF NOT (r.reg_status = 'qualified' AND (l.state <> 'timed_bidding' OR r.wants_continue)) THEN
        outcome := 'not_qualified';
        RETURN;
    END IF;
    IF l.state NOT IN ('bidding', 'timed_bidding') OR (l.opens_at IS NOT NULL AND v_now < l.opens_at) THEN
        outcome := 'not_open';
        RETURN;
    END IF;
    IF l.closes_at IS NOT NULL AND v_now >= l.closes_at THEN
        outcome := 'closed';
        RETURN;
    END IF;
    IF NOT p_amount_ok THEN
        outcome := 'invalid_amount';
        RETURN;
    END IF;
    IF l.leader_registration_id IS NOT DISTINCT FROM r.reg_id THEN
        outcome := 'already_leading';
        RETURN;
    END IF;
    v_floor := CASE WHEN l.current_price IS NULL THEN l.start_price ELSE l.current_price + l.increment END;
    IF p_steps IS NOT NULL THEN
        -- 加价: the server prices the bid at the lock, never above the bidder's limit.
        -- Compared before the assignment: the limit fits numeric(18, 2), an unbounded sum may not.
        IF v_floor + (p_steps - 1) * l.increment > p_amount THEN
            outcome := 'over_limit';
            RETURN;
        END IF;
        v_amount := v_floor + (p_steps - 1) * l.increment;
    ELSIF p_amount < v_floor THEN
        outcome := 'too_low';
        RETURN;
    ELSE
        v_amount := p_amount;
    END IF;

    -- 4. Accept: the bid, the listing's price/leader/deadline/counters, the feed item, the event.
    v_seq := l.last_seq + 1;
    -- 拍卖 and 限时竞价: every valid bid restarts the countdown.
    v_closes := CASE WHEN l.method = 'auction' OR l.state = 'timed_bidding' THEN v_now + p_countdown
                     ELSE l.closes_at END;
    INSERT INTO transactions.bids (listing_id, seq, registration_id, bidder_number, amount, sealed, phase,
                                   placed_at, idempotency_key, client_ip)
    VALUES (p_listing_id, v_seq, r.reg_id, r.bidder_number, v_amount, NULL, l.state, v_now, p_key, p_client_ip);
    UPDATE transactions.listings li
       SET last_seq = v_seq, feed_seq = li.feed_seq + 1, current_price = v_amount,
           leader_registration_id = r.reg_id, closes_at = v_closes, next_action_at = v_closes, updated_at = v_now
     WHERE li.id = p_listing_id
    RETURNING li.feed_seq INTO v_feed_seq;
    INSERT INTO transactions.feed_items (listing_id, seq, kind, data, created_at)
    VALUES (p_listing_id, v_feed_seq, 'bid',
            jsonb_build_object('type', 'bid', 'seq', v_seq, 'bidder_number', r.bidder_number,
                               'amount', v_amount::text, 'placed_at', transactions.rfc3339(v_now),
                               'closes_at', transactions.rfc3339(v_closes)),
            v_now);
    INSERT INTO transactions.outbox (event_id, topic, key, event_type, payload)
    VALUES (p_event_id, p_topic, p_event->>'subject', p_event->>'type',
            p_event || v_trace || jsonb_build_object(
                'id', p_event_id::text,
                'time', transactions.rfc3339(v_now),
                'region', l.county_code,
                'data', (p_event->'data') || jsonb_build_object(
                    'registration_id', r.reg_id::text, 'bidder_number', r.bidder_number, 'seq', v_seq,
                    'amount', v_amount::text, 'sealed', false, 'phase', l.state,
                    'placed_at', transactions.rfc3339(v_now), 'closes_at', transactions.rfc3339(v_closes))));

    -- 5. 监管: a bid in the last seconds before the deadline in force when it came (supervision.rules.late_bid).
    IF l.closes_at IS NOT NULL THEN
        v_left := l.closes_at - v_now;
        IF v_left > interval '0' AND v_left <= p_late_window THEN
            v_late := jsonb_build_object(
                'bidder_number', r.bidder_number, 'sequence', v_seq, 'amount', v_amount::text,
                'seconds_before_close', extract(epoch FROM v_left));
            INSERT INTO transactions.alerts (listing_id, rule, severity, message, details, dedupe_key, raised_at)
            VALUES (p_listing_id, 'supervision.late_bid', 'info',
                    '竞买号 ' || r.bidder_number || ' 在截止前 ' || round(extract(epoch FROM v_left), 3)::text
                        || ' 秒报价',
                    v_late, p_listing_id::text || ':supervision.late_bid:' || v_seq, v_now)
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id INTO v_alert_id;
            IF v_alert_id IS NOT NULL THEN
                alert_raised := true;
                INSERT INTO transactions.outbox (event_id, topic, key, event_type, payload)
                SELECT p_alert_id, p_topic, p_alert->>'subject', p_alert->>'type',
                       p_alert || v_trace || jsonb_build_object(
                           'id', p_alert_id::text,
                           'time', transactions.rfc3339(v_now),
                           'region', l.county_code,
                           'data', (p_alert->'data') || jsonb_build_object(
                               'alert_id', a.id, 'rule', a.rule, 'severity', a.severity, 'message', a.message,
                               'details', a.details, 'raised_at', transactions.rfc3339(v_now)))
                  FROM transactions.alerts a WHERE a.id = v_alert_id;
            END IF;
        END IF;
    END IF;

    outcome := 'accepted';
    seq := v_seq;
    amount := v_amount;
    sealed := false;
    placed_at := v_now;
    closes_at := v_closes;
    current_price := v_amount;
END
$$
"""


PLACE_BIDS = r"""
CREATE OR REPLACE FUNCTION transactions.place_bids(
    p_listing_id uuid,
    p_subjects text[],
    p_amounts numeric[],
    p_amount_ok boolean[],
    p_keys text[],
    p_client_ips text[],
    p_countdown interval,
    p_late_window interval,
    p_topic text,
    p_events jsonb[],
    p_alerts jsonb[],
    p_event_ids uuid[],
    p_alert_ids uuid[],
    p_traceparents text[],
    p_steps integer[]
) RETURNS TABLE (
    outcome text, seq integer, bidder_number text, amount numeric, sealed boolean, placed_at timestamptz,
    closes_at timestamptz, current_price numeric, start_price numeric, increment numeric, opens_at timestamptz,
    phase text, alert_raised boolean
) LANGUAGE plpgsql AS $$
BEGIN
    -- One row per request, in the order given (RETURN QUERY appends).
    FOR i IN 1 .. coalesce(cardinality(p_subjects), 0) LOOP
        RETURN QUERY SELECT * FROM transactions.place_bid(
            p_listing_id, p_subjects[i], p_amounts[i], p_amount_ok[i], p_keys[i], p_client_ips[i], p_countdown,
            p_late_window, p_topic, p_events[i], p_alerts[i], p_event_ids[i], p_alert_ids[i], p_traceparents[i],
            p_steps[i]);
    END LOOP;
END
$$
"""

BATCH = ("transactions.place_bids(uuid, text[], numeric[], boolean[], text[], text[], interval, interval, text, "
         "jsonb[], jsonb[], uuid[], uuid[], text[], integer[])")

OLD = ("transactions.place_bid(uuid, text, numeric, boolean, text, text, interval, interval, text, jsonb, jsonb, "
       "uuid, uuid, text)")
SIGNATURE = ("transactions.place_bid(uuid, text, numeric, boolean, text, text, interval, interval, text, jsonb, "
             "jsonb, uuid, uuid, text, integer)")


def upgrade() -> None:
    # exec_driver_sql: the body contains ':' that SQLAlchemy's text() would take for bind parameters.
    conn = op.get_bind()
    conn.exec_driver_sql(f"DROP FUNCTION {OLD}")
    conn.exec_driver_sql(PLACE_BID)
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO transactions_app")
    conn.exec_driver_sql(PLACE_BIDS)
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {BATCH} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {BATCH} TO transactions_app")


def downgrade() -> None:
    # Migration 0003's function comes back with its revision's own upgrade text.
    place_bid_0003 = revision_text(__file__, "2026_11_30_0003_place_bid_function.py", "PLACE_BID")
    conn = op.get_bind()
    conn.exec_driver_sql(f"DROP FUNCTION {BATCH}")
    conn.exec_driver_sql(f"DROP FUNCTION {SIGNATURE}")
    conn.exec_driver_sql(place_bid_0003)
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {OLD} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {OLD} TO transactions_app")
