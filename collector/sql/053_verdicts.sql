-- Vigil schema: deploy verdicts. Every answer of `vigil verdict` is kept:
-- when, the window judged, the deploy it started at, APPROVE / EXTEND /
-- ROLLBACK, how long to keep watching, why, and each criterion's target,
-- actual value and outcome. Control plane: no host_id.

CREATE TABLE vigil.verdicts (
    verdict_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decided_at   timestamptz NOT NULL DEFAULT now(),
    since        timestamptz NOT NULL,          -- the window judged
    until        timestamptz NOT NULL,
    deploy_id    bigint,                        -- the deploy it started at, if any
    selector     text NOT NULL DEFAULT '',
    verdict      text NOT NULL CHECK (verdict IN ('APPROVE', 'EXTEND', 'ROLLBACK')),
    exit_status  integer NOT NULL,              -- 0, 10, 20
    extend_by    interval,                      -- EXTEND: how much longer to watch
    reason       text NOT NULL,
    criteria     jsonb NOT NULL                 -- [{name, measure, op, target, actual, pass}]
);
CREATE INDEX verdicts_decided_idx ON vigil.verdicts (decided_at);

-- Stores a verdict and returns its id. SECURITY DEFINER, so that people
-- who report as vigil_reader (who may not write) can keep their verdicts,
-- and only through this.
CREATE FUNCTION vigil.verdict_record(since timestamptz, until timestamptz, deploy_id bigint,
                                     selector text, verdict text, exit_status integer,
                                     extend_by interval, reason text, criteria jsonb)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO vigil.verdicts (since, until, deploy_id, selector, verdict, exit_status,
                                extend_by, reason, criteria)
    VALUES (since, until, deploy_id, coalesce(selector, ''), verdict, exit_status, extend_by,
            reason, criteria)
    RETURNING verdict_id
$$;
REVOKE ALL ON FUNCTION vigil.verdict_record(timestamptz, timestamptz, bigint, text, text, integer,
                                            interval, text, jsonb) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        GRANT SELECT ON vigil.verdicts TO vigil_reader;
        GRANT EXECUTE ON FUNCTION vigil.verdict_record(timestamptz, timestamptz, bigint, text,
                                                       text, integer, interval, text, jsonb)
            TO vigil_reader;
    END IF;
END $$;
