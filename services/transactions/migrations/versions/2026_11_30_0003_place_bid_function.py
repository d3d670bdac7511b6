"""transactions: place_bid() — admit and write a 挂牌/拍卖 bid in one round trip under the listing row lock.

The lock is held only while PostgreSQL runs the rest of the function and commits, never across
a network round trip or a Python await, which is what bounded the bid rate before.
The rules mirror transactions.bidding.rules.check_bid (tests compare the two on the same cases);
the outbox row is the CloudEvent the caller built and validated, with its id and trace, and
the values only the lock can decide (seq, times, registration, bidder number, region), filled in.

Revision ID: transactions_0003
Revises: transactions_0002
Create Date: 2026-11-30
"""

from alembic import op

revision = "transactions_0003"
down_revision = "transactions_0002"
branch_labels = None
depends_on = None

RFC3339 = r"""
CREATE OR REPLACE FUNCTION transactions.rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- exactly natres_platform.events.rfc3339: UTC, 'Z', microseconds only when not zero
    SELECT CASE
        WHEN t IS NULL THEN NULL
        WHEN mod(date_part('microseconds', t)::bigint, 1000000) = 0
            THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    END
$$
"""

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
    IF l.state IN ('bidding', 'timed_bidding') AND r.reg_status = 'qualified' AND l.current_price IS NOT NULL
       AND p_amount_ok AND p_amount < l.current_price + l.increment THEN
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
    IF p_amount < v_floor THEN
        outcome := 'too_low';
        RETURN;
    END IF;

    -- 4. Accept: the bid, the listing's price/leader/deadline/counters, the feed item, the event.
    v_seq := l.last_seq + 1;
    v_amount := p_amount;
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


SIGNATURE = ("transactions.place_bid(uuid, text, numeric, boolean, text, text, interval, interval, text, jsonb, jsonb, "
             "uuid, uuid, text)")


def upgrade() -> None:
    # exec_driver_sql: the bodies contain ':' that SQLAlchemy's text() would take for bind parameters.
    conn = op.get_bind()
    conn.exec_driver_sql(RFC3339)
    conn.exec_driver_sql(PLACE_BID)
    # Functions are executable by PUBLIC by default; keep it to the app role like the tables.
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO transactions_app")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.execute("DROP FUNCTION transactions.rfc3339(timestamptz)")
