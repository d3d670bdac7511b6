"""transactions: place_bids() admits a batch with one statement per table instead of eight per bid.

Migration 0006's place_bids() called place_bid() once per request: two unlocked look-ups, the
lock, a re-read, then an INSERT or UPDATE per table — about 0.25 ms of database time per bid,
which on a hot listing is the serial section every bid of that listing waits behind. This one
takes the listing row lock once, reads every request's registration and stored key in one
query, decides each request in arrival order in PL/pgSQL variables (the same checks, in the
order of bidding.rules.check_bid, each request seeing the price, leader, sequence and deadline
the earlier ones left), and then writes the accepted bids, their feed items, the listing row
and the outbox rows with one statement each. Late-bid alerts (rare: the last seconds before a
deadline) are still inserted one by one, where they happen, for their ids.

Every request is decided under the lock: there is no unlocked pre-check as in place_bid(),
whose early refusals ("too low", "over the limit") only spare a lone bid the wait for the lock.
A request retried inside one batch (same bidder, same key) is answered as the replay of the
copy accepted before it.

Revision ID: transactions_0010
Revises: transactions_0009
Create Date: 2026-11-30
"""

from alembic import op

from natres_platform.migrations import revision_text

revision = "transactions_0010"
down_revision = "transactions_0009"
branch_labels = None
depends_on = None

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
DECLARE
    n integer := coalesce(cardinality(p_subjects), 0);
    l record;
    -- The listing as the next request sees it: the row as of the lock plus the batch's acceptances.
    v_price numeric;
    v_leader uuid;
    v_seq integer;
    v_feed bigint;
    v_closes timestamptz;
    v_now timestamptz;
    v_new_closes timestamptz;
    v_amount numeric(18, 2);
    v_floor numeric;
    v_left interval;
    v_alert_id bigint;
    v_message text;
    v_late jsonb;
    v_trace jsonb;
    v_at integer;
    v_refused text;
    -- Per request, in order: its registration and the bid already stored under its key.
    g_reg uuid[];
    g_status text[];
    g_number text[];
    g_continue boolean[];
    g_key_seq integer[];
    g_key_amount numeric[];
    g_key_sealed boolean[];
    g_key_placed timestamptz[];
    -- The answer, one element per request.
    o_outcome text[] := array_fill(NULL::text, ARRAY[n]);
    o_seq integer[] := array_fill(NULL::integer, ARRAY[n]);
    o_number text[] := array_fill(NULL::text, ARRAY[n]);
    o_amount numeric[] := array_fill(NULL::numeric, ARRAY[n]);
    o_sealed boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    o_placed timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    o_closes timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    o_price numeric[] := array_fill(NULL::numeric, ARRAY[n]);
    o_start numeric[] := array_fill(NULL::numeric, ARRAY[n]);
    o_increment numeric[] := array_fill(NULL::numeric, ARRAY[n]);
    o_opens timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    o_phase text[] := array_fill(NULL::text, ARRAY[n]);
    o_alert boolean[] := array_fill(false, ARRAY[n]);
    -- The bids accepted in this batch ("registration key" marks find a key retried inside it).
    b_seq integer[] := '{}';
    b_reg uuid[] := '{}';
    b_number text[] := '{}';
    b_amount numeric[] := '{}';
    b_placed timestamptz[] := '{}';
    b_key text[] := '{}';
    b_ip text[] := '{}';
    b_closes timestamptz[] := '{}';
    b_feed bigint[] := '{}';
    b_mark text[] := '{}';
    -- The outbox rows, in the order place_bid() one by one would have written them.
    e_id uuid[] := '{}';
    e_key text[] := '{}';
    e_type text[] := '{}';
    e_payload jsonb[] := '{}';
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    -- The lock: every bid on this listing serialises here, once per batch.
    SELECT li.id, li.county_code, li.method, li.state, li.start_price, li.increment, li.current_price,
           li.leader_registration_id, li.last_seq, li.feed_seq, li.opens_at, li.closes_at
      INTO l FROM transactions.listings li WHERE li.id = p_listing_id FOR UPDATE;
    v_refused := CASE WHEN NOT FOUND THEN 'not_found'
                      WHEN l.method = 'tender' THEN 'tender' END;  -- sealed bids: the service's own path
    IF v_refused IS NOT NULL THEN
        RETURN QUERY SELECT v_refused, NULL::integer, NULL::text,
                            NULL::numeric, NULL::boolean, NULL::timestamptz, NULL::timestamptz, NULL::numeric,
                            NULL::numeric, NULL::numeric, NULL::timestamptz, NULL::text, false
                       FROM generate_series(1, n);
        RETURN;
    END IF;
    SELECT array_agg(rg.id ORDER BY q.i), array_agg(rg.status ORDER BY q.i), array_agg(rg.bidder_number ORDER BY q.i),
           array_agg(rg.wants_continue ORDER BY q.i), array_agg(k.seq ORDER BY q.i), array_agg(k.amount ORDER BY q.i),
           array_agg(k.sealed IS NOT NULL ORDER BY q.i), array_agg(k.placed_at ORDER BY q.i)
      INTO g_reg, g_status, g_number, g_continue, g_key_seq, g_key_amount, g_key_sealed, g_key_placed
      FROM unnest(p_subjects, p_keys) WITH ORDINALITY AS q(subject, key, i)
      LEFT JOIN transactions.registrations rg ON rg.listing_id = p_listing_id AND rg.bidder_subject = q.subject
      LEFT JOIN transactions.bids k ON k.registration_id = rg.id AND k.idempotency_key = q.key;

    v_price := l.current_price;
    v_leader := l.leader_registration_id;
    v_seq := l.last_seq;
    v_feed := l.feed_seq;
    v_closes := l.closes_at;
    FOR i IN 1 .. n LOOP
        o_price[i] := v_price;
        o_start[i] := l.start_price;
        o_increment[i] := l.increment;
        o_opens[i] := l.opens_at;
        o_closes[i] := v_closes;
        o_phase[i] := l.state;
        IF g_reg[i] IS NULL THEN
            o_outcome[i] := 'not_registered';  -- registrations are never deleted
            CONTINUE;
        END IF;
        o_number[i] := g_number[i];
        v_at := CASE WHEN p_keys[i] IS NULL THEN NULL
                     ELSE array_position(b_mark, g_reg[i]::text || ' ' || p_keys[i]) END;
        IF v_at IS NOT NULL THEN
            o_outcome[i] := 'replayed';  -- the same key, accepted earlier in this batch
            o_seq[i] := b_seq[v_at];
            o_amount[i] := b_amount[v_at];
            o_sealed[i] := false;
            o_placed[i] := b_placed[v_at];
            CONTINUE;
        END IF;
        IF g_key_seq[i] IS NOT NULL THEN
            o_outcome[i] := 'replayed';
            o_seq[i] := g_key_seq[i];
            o_amount[i] := g_key_amount[i];
            o_sealed[i] := g_key_sealed[i];
            o_placed[i] := g_key_placed[i];
            CONTINUE;
        END IF;

        -- The server clock, read under the lock; the checks of bidding.rules.check_bid, in its order.
        v_now := clock_timestamp();
        IF NOT (g_status[i] = 'qualified' AND (l.state <> 'timed_bidding' OR g_continue[i])) THEN
            o_outcome[i] := 'not_qualified';
            CONTINUE;
        END IF;
        IF l.state NOT IN ('bidding', 'timed_bidding') OR (l.opens_at IS NOT NULL AND v_now < l.opens_at) THEN
            o_outcome[i] := 'not_open';
            CONTINUE;
        END IF;
        IF v_closes IS NOT NULL AND v_now >= v_closes THEN
            o_outcome[i] := 'closed';
            CONTINUE;
        END IF;
        IF NOT p_amount_ok[i] THEN
            o_outcome[i] := 'invalid_amount';
            CONTINUE;
        END IF;
        IF v_leader IS NOT DISTINCT FROM g_reg[i] THEN
            o_outcome[i] := 'already_leading';
            CONTINUE;
        END IF;
        v_floor := CASE WHEN v_price IS NULL THEN l.start_price ELSE v_price + l.increment END;
        IF p_steps[i] IS NOT NULL THEN
            -- 加价: priced here, never above the bidder's limit (compared before the assignment:
            -- the limit fits numeric(18, 2), an unbounded sum may not).
            IF v_floor + (p_steps[i] - 1) * l.increment > p_amounts[i] THEN
                o_outcome[i] := 'over_limit';
                CONTINUE;
            END IF;
            v_amount := v_floor + (p_steps[i] - 1) * l.increment;
        ELSIF p_amounts[i] < v_floor THEN
            o_outcome[i] := 'too_low';
            CONTINUE;
        ELSE
            v_amount := p_amounts[i];
        END IF;

        -- Accepted: the next sequence number and feed position; 拍卖 and 限时竞价 restart the countdown.
        v_seq := v_seq + 1;
        v_feed := v_feed + 1;
        v_new_closes := CASE WHEN l.method = 'auction' OR l.state = 'timed_bidding' THEN v_now + p_countdown
                             ELSE v_closes END;
        b_seq := array_append(b_seq, v_seq);
        b_reg := array_append(b_reg, g_reg[i]);
        b_number := array_append(b_number, g_number[i]);
        b_amount := array_append(b_amount, v_amount::numeric);
        b_placed := array_append(b_placed, v_now);
        b_key := array_append(b_key, p_keys[i]);
        b_ip := array_append(b_ip, p_client_ips[i]);
        b_closes := array_append(b_closes, v_new_closes);
        b_feed := array_append(b_feed, v_feed);
        b_mark := array_append(b_mark, g_reg[i]::text || ' ' || p_keys[i]);  -- NULL without a key
        -- CloudEvent.to_dict() leaves out an absent traceparent
        v_trace := CASE WHEN p_traceparents[i] IS NULL THEN '{}'::jsonb
                        ELSE jsonb_build_object('traceparent', p_traceparents[i]) END;
        e_id := array_append(e_id, p_event_ids[i]);
        e_key := array_append(e_key, p_events[i]->>'subject');
        e_type := array_append(e_type, p_events[i]->>'type');
        e_payload := array_append(e_payload, p_events[i] || v_trace || jsonb_build_object(
            'id', p_event_ids[i]::text,
            'time', transactions.rfc3339(v_now),
            'region', l.county_code,
            'data', (p_events[i]->'data') || jsonb_build_object(
                'registration_id', g_reg[i]::text, 'bidder_number', g_number[i], 'seq', v_seq,
                'amount', v_amount::text, 'sealed', false, 'phase', l.state,
                'placed_at', transactions.rfc3339(v_now), 'closes_at', transactions.rfc3339(v_new_closes))));

        -- 监管: a bid in the last seconds before the deadline in force when it came (supervision.rules.late_bid).
        IF v_closes IS NOT NULL THEN
            v_left := v_closes - v_now;
            IF v_left > interval '0' AND v_left <= p_late_window THEN
                v_late := jsonb_build_object(
                    'bidder_number', g_number[i], 'sequence', v_seq, 'amount', v_amount::text,
                    'seconds_before_close', extract(epoch FROM v_left));
                v_message := '竞买号 ' || g_number[i] || ' 在截止前 ' || round(extract(epoch FROM v_left), 3)::text
                             || ' 秒报价';
                v_alert_id := NULL;
                INSERT INTO transactions.alerts (listing_id, rule, severity, message, details, dedupe_key, raised_at)
                VALUES (p_listing_id, 'supervision.late_bid', 'info', v_message, v_late,
                        p_listing_id::text || ':supervision.late_bid:' || v_seq, v_now)
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id INTO v_alert_id;
                IF v_alert_id IS NOT NULL THEN
                    o_alert[i] := true;
                    e_id := array_append(e_id, p_alert_ids[i]);
                    e_key := array_append(e_key, p_alerts[i]->>'subject');
                    e_type := array_append(e_type, p_alerts[i]->>'type');
                    e_payload := array_append(e_payload, p_alerts[i] || v_trace || jsonb_build_object(
                        'id', p_alert_ids[i]::text,
                        'time', transactions.rfc3339(v_now),
                        'region', l.county_code,
                        'data', (p_alerts[i]->'data') || jsonb_build_object(
                            'alert_id', v_alert_id, 'rule', 'supervision.late_bid', 'severity', 'info',
                            'message', v_message, 'details', v_late, 'raised_at', transactions.rfc3339(v_now))));
                END IF;
            END IF;
        END IF;

        v_price := v_amount;
        v_leader := g_reg[i];
        v_closes := v_new_closes;
        o_outcome[i] := 'accepted';
        o_seq[i] := v_seq;
        o_amount[i] := v_amount;
        o_sealed[i] := false;
        o_placed[i] := v_now;
        o_closes[i] := v_new_closes;
        o_price[i] := v_amount;
    END LOOP;

    IF cardinality(b_seq) > 0 THEN
        INSERT INTO transactions.bids (listing_id, seq, registration_id, bidder_number, amount, sealed, phase,
                                       placed_at, idempotency_key, client_ip)
        SELECT p_listing_id, x.bseq, x.breg, x.bnumber, x.bamount, NULL, l.state, x.bplaced, x.bkey, x.bip
          FROM unnest(b_seq, b_reg, b_number, b_amount, b_placed, b_key, b_ip)
               AS x(bseq, breg, bnumber, bamount, bplaced, bkey, bip);
        UPDATE transactions.listings li
           SET last_seq = v_seq, feed_seq = v_feed, current_price = v_price, leader_registration_id = v_leader,
               closes_at = v_closes, next_action_at = v_closes, updated_at = b_placed[cardinality(b_placed)]
         WHERE li.id = p_listing_id;
        INSERT INTO transactions.feed_items (listing_id, seq, kind, data, created_at)
        SELECT p_listing_id, x.bfeed, 'bid',
               jsonb_build_object('type', 'bid', 'seq', x.bseq, 'bidder_number', x.bnumber,
                                  'amount', x.bamount::text, 'placed_at', transactions.rfc3339(x.bplaced),
                                  'closes_at', transactions.rfc3339(x.bcloses)),
               x.bplaced
          FROM unnest(b_feed, b_seq, b_number, b_amount, b_placed, b_closes)
               AS x(bfeed, bseq, bnumber, bamount, bplaced, bcloses);
        -- ORDER BY: the outbox id (the relay's order) follows the order the events were decided in.
        INSERT INTO transactions.outbox (event_id, topic, key, event_type, payload)
        SELECT x.eid, p_topic, x.ekey, x.etype, x.epayload
          FROM unnest(e_id, e_key, e_type, e_payload) WITH ORDINALITY AS x(eid, ekey, etype, epayload, ord)
         ORDER BY x.ord;
    END IF;

    RETURN QUERY SELECT u.r_outcome, u.r_seq, u.r_number, u.r_amount, u.r_sealed, u.r_placed, u.r_closes,
                        u.r_price, u.r_start, u.r_increment, u.r_opens, u.r_phase, u.r_alert
                   FROM unnest(o_outcome, o_seq, o_number, o_amount, o_sealed, o_placed, o_closes, o_price, o_start,
                               o_increment, o_opens, o_phase, o_alert) WITH ORDINALITY
                        AS u(r_outcome, r_seq, r_number, r_amount, r_sealed, r_placed, r_closes, r_price, r_start,
                             r_increment, r_opens, r_phase, r_alert, r_ord)
                  ORDER BY u.r_ord;
END
$$
"""


SIGNATURE = ("transactions.place_bids(uuid, text[], numeric[], boolean[], text[], text[], interval, interval, text, "
             "jsonb[], jsonb[], uuid[], uuid[], text[], integer[])")


def upgrade() -> None:
    # exec_driver_sql: the body contains ':' that SQLAlchemy's text() would take for bind parameters.
    # CREATE OR REPLACE keeps the function's grants (0006: transactions_app only).
    conn = op.get_bind()
    conn.exec_driver_sql(PLACE_BIDS)
    # Array parameters make the planner try a custom plan of each statement on every call; the
    # generic plans are the same ones, and planning was about a third of a small batch's CPU.
    conn.exec_driver_sql(f"ALTER FUNCTION {SIGNATURE} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    # Migration 0006's loop over place_bid() comes back with its revision's own text.
    place_bids_0006 = revision_text(__file__, "2026_11_30_0006_place_bid_raise.py", "PLACE_BIDS")
    conn = op.get_bind()
    conn.exec_driver_sql(f"ALTER FUNCTION {SIGNATURE} RESET plan_cache_mode")
    conn.exec_driver_sql(place_bids_0006)
