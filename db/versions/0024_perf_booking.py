"""PostgreSQL: a booking in one round trip (issue 29).

`montu_book(...)` checks a booking request, chooses its doctor fairly, takes the two booking
locks, inserts the appointment, closes the recalls it answers, and writes its outbox event
and audit entry: the work of services/booking.py's `book_in`, in one statement. The domain's
`pick_doctor` stays the reference (a property test checks both choose alike); the caller
passes what it already knows without the database (the type, the booking window, the
doctors whose time is held, a random number for breaking ties) and turns a refusal code
into the same words the Python path says.

SECURITY INVOKER: it runs with the caller's rights, so a staff login's grants, the overlap
guard, the audit and outbox triggers hold exactly as for the statements it replaces; names
are schema-qualified so that the caller's temporary objects cannot stand in for the tables.

Revision ID: 0024_perf_booking
Revises: 0023_fresh (written on 0020; re-chained onto the head at merge)
Create Date: 2026-12-06 17:20:00
"""

from alembic import op

revision = "0024_perf_booking"
down_revision = "0023_fresh"
branch_labels = None
depends_on = None

SIGNATURE = (
    "montu_book(bigint, integer, integer, bigint, date, integer, text, boolean, integer[],"
    " integer, bigint, bigint, timestamptz, text, text, text, text, double precision)"
)
STAFF_GROUPS = "montu_reception, montu_manager"

# Live appointments overlapping [lo, hi); the lower bound on start_at keeps it on an index
# (as persistence/booking_rows.py's _OVERLAPS does).
_LIVE = (
    "a.status <> 'cancelled' AND a.start_at < {hi} AND a.start_at > {lo} - v_slack"
    " AND a.end_at > {lo}"
)

FUNCTION = (
    """
CREATE OR REPLACE FUNCTION public.montu_book(
    p_patient bigint, p_type integer, p_length integer, p_start bigint, p_day date,
    p_doctor integer, p_note text, p_urgent boolean, p_held integer[], p_slot integer,
    p_earliest bigint, p_latest bigint, p_now timestamptz, p_actor text, p_type_name text,
    p_zone text, p_lock_timeout text, p_pick double precision,
    OUT o_outcome text, OUT o_id bigint, OUT o_doctor integer, OUT o_detail text,
    OUT o_opens timestamptz, OUT o_closes timestamptz, OUT o_ids integer[],
    OUT o_booked integer[], OUT o_rostered integer[], OUT o_recalls integer)
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
    v_slack constant interval := interval '480 minutes';  -- model.MAX_APPOINTMENT_MINUTES
    v_start timestamptz := to_timestamp(p_start);
    v_end timestamptz := to_timestamp(p_start + p_length * 60);
    v_merged bigint;
    v_found boolean;
    v_name text;
    v_active boolean;
    v_removed boolean;
    v_opens_s bigint;
    v_closes_s bigint;
    v_touch integer[] := '{}';
    v_cover integer[] := '{}';
    v_taken integer[] := '{}';
    v_skipped integer[] := '{}';
    v_free integer[] := '{}';
    v_fb integer[] := '{}';
    v_fr integer[] := '{}';
    v_tied integer[] := '{}';
    v_best integer;
    v_bb bigint;
    v_br bigint;
    v_chosen integer;
    v_requested boolean := false;
    v_who text;
    v_recall record;
    v_start_text text;
    r record;
    i integer;
BEGIN
    -- For the rest of the transaction, as the statements' path does (booking_rows): each
    -- statement here, and the audit and outbox triggers at COMMIT, planned once per
    -- session; planning the doctors statement afresh cost more than running it. (Not a SET
    -- clause: that would end with the function, before COMMIT.)
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
    o_recalls := 0;
    -- The refusals come in the desk's order (services/booking.py _check_time).
    SELECT p.merged_into_id, true INTO v_merged, v_found FROM public.patient p WHERE p.id = p_patient;
    IF NOT coalesce(v_found, false) THEN
        o_outcome := 'no_patient'; RETURN;
    ELSIF v_merged IS NOT NULL THEN
        o_outcome := 'merged'; o_detail := v_merged::text; RETURN;
    END IF;
    IF p_doctor IS NOT NULL THEN
        SELECT d.name, d.active, d.removed_at IS NOT NULL INTO v_name, v_active, v_removed
        FROM public.doctor d WHERE d.id = p_doctor;
        IF NOT FOUND OR v_removed THEN
            o_outcome := 'no_doctor'; RETURN;
        ELSIF NOT v_active THEN
            o_outcome := 'doctor_inactive'; o_detail := v_name; RETURN;
        END IF;
    END IF;
    SELECT cs.active, cs.start_at, cs.end_at INTO v_active, o_opens, o_closes
    FROM public.clinic_schedule cs WHERE cs.day = p_day;
    IF NOT FOUND THEN
        o_outcome := 'no_schedule'; RETURN;
    END IF;
    -- The domain's check_bookable_time, in its order; the caller says why in its words.
    IF NOT v_active THEN
        o_outcome := 'time'; o_opens := NULL; o_closes := NULL; RETURN;
    END IF;
    v_opens_s := extract(epoch FROM o_opens)::bigint;
    v_closes_s := extract(epoch FROM o_closes)::bigint;
    IF p_start < v_opens_s OR p_start >= v_closes_s
       OR (p_start - v_opens_s) % (p_slot * 60) <> 0
       OR p_start + p_length * 60 > v_closes_s
       OR p_start < p_earliest OR p_start >= p_latest THEN
        o_outcome := 'time'; RETURN;
    END IF;
    IF EXISTS (SELECT FROM public.appointment a WHERE a.patient_id = p_patient AND """
    + _LIVE.format(lo="v_start", hi="v_end")
    + """) THEN
        o_outcome := 'patient_busy'; RETURN;
    END IF;
    -- Who could take it: each bookable doctor's blocks that day, joined where they touch
    -- (model.merge_blocks), once for the whole day (the fair choice's rostered minutes,
    -- within the clinic's hours) and once for the blocks touching the range (whether one
    -- block holds the whole range, and never fewer rostered minutes than those).
    FOR r IN
        WITH blk AS (
            SELECT ds.doctor_id AS d, extract(epoch FROM ds.start_at)::bigint AS s,
                   extract(epoch FROM ds.end_at)::bigint AS e,
                   ds.start_at <= v_end AND ds.end_at >= v_start AS touching
            FROM public.doctor_schedule ds JOIN public.doctor doc ON doc.id = ds.doctor_id
            WHERE ds.day = p_day AND doc.active AND doc.removed_at IS NULL
        ), sets AS (
            SELECT b.d, b.s, b.e, x.touch FROM blk b CROSS JOIN (VALUES (false), (true)) AS x(touch)
            WHERE NOT x.touch OR b.touching
        ), marked AS (
            SELECT d, touch, s, e, CASE WHEN s <= max(e) OVER w THEN 0 ELSE 1 END AS fresh
            FROM sets
            WINDOW w AS (PARTITION BY d, touch ORDER BY s, e
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), islands AS (
            SELECT d, touch, min(s) AS s, max(e) AS e
            FROM (SELECT d, touch, s, e, sum(fresh) OVER (PARTITION BY d, touch ORDER BY s, e
                                                         ROWS UNBOUNDED PRECEDING) AS island
                  FROM marked) AS m
            GROUP BY d, touch, island
        ), per_doctor AS (
            SELECT d,
                   bool_or(touch) AS touching,
                   coalesce(bool_or(touch AND s <= p_start AND p_start + p_length * 60 <= e), false)
                       AS covers,
                   coalesce(sum(e - s) FILTER (WHERE touch), 0) / 60 AS touch_minutes,
                   coalesce(sum(LEAST(e, v_closes_s) - GREATEST(s, v_opens_s))
                            FILTER (WHERE NOT touch AND s < v_closes_s AND e > v_opens_s), 0) / 60
                       AS day_minutes
            FROM islands GROUP BY d
        )
        SELECT pd.d, pd.covers, GREATEST(pd.touch_minutes, pd.day_minutes)::integer AS rostered,
               EXISTS (SELECT FROM public.doctor_type_skipped k
                       WHERE k.doctor_id = pd.d AND k.type_id = p_type) AS skips,
               CASE WHEN NOT pd.covers THEN false ELSE EXISTS (
                   SELECT FROM public.appointment a WHERE a.doctor_id = pd.d AND """
    + _LIVE.format(lo="v_start", hi="v_end")
    + """) END AS clash
        FROM per_doctor pd WHERE pd.touching ORDER BY pd.d
    LOOP
        IF r.skips THEN v_skipped := v_skipped || r.d; END IF;
        IF NOT r.covers THEN CONTINUE; END IF;
        v_cover := v_cover || r.d;
        IF r.clash THEN
            v_taken := v_taken || r.d;
        ELSIF NOT r.skips AND NOT (r.d = ANY (p_held)) THEN
            v_free := v_free || r.d;
            v_fr := v_fr || r.rostered;
        END IF;
    END LOOP;
    -- The free doctors' booked minutes that day, in one statement (in v_free's order).
    IF cardinality(v_free) > 0 THEN
        SELECT array_agg(coalesce(m.minutes, 0) ORDER BY f.n) INTO v_fb
        FROM unnest(v_free) WITH ORDINALITY AS f(d, n)
        LEFT JOIN LATERAL (
            SELECT (sum(extract(epoch FROM a.end_at - a.start_at))::bigint / 60)::integer AS minutes
            FROM public.appointment a WHERE a.doctor_id = f.d AND """
    + _LIVE.format(lo="o_opens", hi="o_closes")
    + """
        ) AS m ON true;
    END IF;
    -- The domain's pick_doctor: the one asked for if free, else the least load (booked over
    -- rostered minutes, exact), ties broken at random (p_pick, drawn by the caller).
    IF p_doctor IS NOT NULL AND p_doctor = ANY (v_skipped) THEN
        o_outcome := 'skipped'; RETURN;
    END IF;
    IF p_doctor IS NULL THEN
        IF cardinality(v_free) = 0 THEN
            o_outcome := 'none_free'; RETURN;
        END IF;
        v_best := 1;
        FOR i IN 2 .. cardinality(v_free) LOOP
            IF v_fb[i]::bigint * GREATEST(v_fr[v_best], 1) < v_fb[v_best]::bigint * GREATEST(v_fr[i], 1) THEN
                v_best := i;
            END IF;
        END LOOP;
        v_bb := v_fb[v_best]; v_br := GREATEST(v_fr[v_best], 1);
        FOR i IN 1 .. cardinality(v_free) LOOP
            IF v_fb[i]::bigint * v_br = v_bb * GREATEST(v_fr[i], 1) THEN
                v_tied := v_tied || v_free[i];
            END IF;
        END LOOP;
        v_chosen := v_tied[1 + LEAST(floor(p_pick * cardinality(v_tied))::integer, cardinality(v_tied) - 1)];
        o_ids := v_free; o_booked := v_fb; o_rostered := v_fr;
    ELSIF p_doctor = ANY (v_free) THEN
        v_chosen := p_doctor; v_requested := true;
        i := array_position(v_free, p_doctor);
        o_ids := ARRAY[p_doctor]; o_booked := ARRAY[v_fb[i]]; o_rostered := ARRAY[v_fr[i]];
    ELSIF NOT (p_doctor = ANY (v_cover)) THEN
        o_outcome := 'not_rostered'; RETURN;
    ELSIF p_doctor = ANY (p_held) AND NOT (p_doctor = ANY (v_taken)) THEN
        o_outcome := 'held'; RETURN;
    ELSE
        o_outcome := 'doctor_taken'; RETURN;
    END IF;
    -- Queue behind any other open booking of this doctor, then of this patient
    -- (booking_rows.queue_behind_other_bookings: doctor before patient, bounded wait).
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    -- One after the other (never the patient's while waiting for the doctor's).
    IF pg_try_advisory_xact_lock(1299148404, v_chosen) THEN
        v_who := CASE WHEN pg_try_advisory_xact_lock(1299148405, p_patient::integer)
                      THEN NULL ELSE 'patient' END;
    ELSE
        v_who := 'doctor';
    END IF;
    IF v_who IS NOT NULL THEN
        BEGIN
            IF v_who = 'doctor' THEN
                PERFORM pg_advisory_xact_lock(1299148404, v_chosen);
            END IF;
            v_who := 'patient';
            PERFORM pg_advisory_xact_lock(1299148405, p_patient::integer);
        EXCEPTION WHEN lock_not_available THEN
            o_outcome := 'busy'; o_detail := v_who; RETURN;
        END;
    END IF;
    INSERT INTO public.appointment (doctor_id, patient_id, type_id, start_at, end_at, status, note,
                                    created_by, created_at, updated_at)
    VALUES (v_chosen, p_patient, p_type, v_start, v_end, 'booked', p_note, p_actor, p_now, p_now)
    RETURNING id INTO o_id;
    -- The recalls this booking answers (domain recalls.closed_by_booking), as
    -- services/recalls.close_recalls_for closes them.
    FOR v_recall IN
        SELECT rc.id FROM public.recall rc
        WHERE rc.patient_id = p_patient AND rc.status = 'due'
          AND (rc.type_id IS NULL OR rc.type_id = p_type)
          AND (rc.created_at AT TIME ZONE p_zone)::date <= (v_start AT TIME ZONE p_zone)::date
        ORDER BY rc.id FOR UPDATE
    LOOP
        UPDATE public.recall SET status = 'booked', appointment_id = o_id, closed_at = p_now
        WHERE id = v_recall.id;
        INSERT INTO public.audit_pending (at, actor, action, subject, details)
        VALUES (p_now, p_actor, 'recall.booked', 'patient ' || p_patient,
                format('{"recall_id": %s, "appointment_id": %s}', v_recall.id, o_id)::json);
        o_recalls := o_recalls + 1;
    END LOOP;
    v_start_text := to_json(to_char(v_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00')::text;
    INSERT INTO public.outbox_event (name, payload, created_at)
    VALUES ('appointment.booked',
            format('{"appointment_id": %s, "doctor_id": %s, "patient_id": %s, "start": %s, "end": %s}',
                   o_id, v_chosen, p_patient, v_start_text,
                   to_json(to_char(v_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00')::text
            )::json,
            p_now);
    INSERT INTO public.audit_pending (at, actor, action, subject, details)
    VALUES (p_now, p_actor, 'appointment.booked', 'appointment ' || o_id,
            format('{"doctor_id": %s, "start": %s, "type": %s%s}', v_chosen, v_start_text,
                   to_json(p_type_name)::text,
                   CASE WHEN p_urgent THEN ', "urgent": true' ELSE '' END)::json);
    o_outcome := CASE WHEN v_requested THEN 'requested' ELSE 'booked' END;
    o_doctor := v_chosen;
END $$
"""
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {STAFF_GROUPS}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
