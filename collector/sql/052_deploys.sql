-- Vigil schema: deploy events. A deploy is recorded by `vigil event add
-- deploy`, by the collector's HTTP API, or by SQL (vigil.deploy_add); an
-- agent's own event named "deploy" (labels service, version) counts too.
-- Reports mark deploys on their charts and the verdict's window can start at
-- one. Few rows, on the control plane: no host_id.

CREATE TABLE vigil.deploys (
    deploy_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts          timestamptz NOT NULL,              -- when the deploy happened
    service     text NOT NULL CHECK (service <> ''),
    version     text NOT NULL CHECK (version <> ''),
    labels      jsonb NOT NULL DEFAULT '{}',
    note        text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT 'sql',       -- cli, api or sql
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deploys_ts_idx ON vigil.deploys (ts);
CREATE INDEX deploys_service_ts_idx ON vigil.deploys (service, ts);

-- Records a deploy and returns its id. Refuses an empty service or version
-- and a time more than a day ahead (a clock or a typo, not a deploy).
CREATE FUNCTION vigil.deploy_add(service text, version text, at timestamptz DEFAULT now(),
                                 labels jsonb DEFAULT '{}', note text DEFAULT '',
                                 source text DEFAULT 'sql')
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    IF coalesce(btrim(service), '') = '' OR coalesce(btrim(version), '') = '' THEN
        RAISE EXCEPTION 'vigil: a deploy needs a service and a version'
            USING ERRCODE = '22023';
    END IF;
    IF at IS NULL OR at > now() + interval '1 day' THEN
        RAISE EXCEPTION 'vigil: a deploy at % is more than a day ahead of the database''s clock (%)',
            at, now() USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(coalesce(labels, '{}')) <> 'object' THEN
        RAISE EXCEPTION 'vigil: deploy labels must be a JSON object' USING ERRCODE = '22023';
    END IF;
    INSERT INTO vigil.deploys (ts, service, version, labels, note, source)
    VALUES (at, btrim(service), btrim(version), coalesce(labels, '{}'), coalesce(note, ''),
            coalesce(source, 'sql'))
    RETURNING deploy_id INTO id;
    RETURN id;
END $$;

-- Every deploy: those recorded here, and agents' "deploy" events (whose
-- deploy_id is NULL and source "agent:HOSTNAME").
CREATE VIEW vigil.deploy_events AS
    SELECT d.deploy_id, d.ts, d.service, d.version, d.labels, d.note, d.source
      FROM vigil.deploys d
    UNION ALL
    SELECT NULL, e.ts, coalesce(e.labels->>'service', ''), coalesce(e.labels->>'version', ''),
           e.labels, e.text, 'agent:' || h.hostname
      FROM vigil.events e JOIN vigil.hosts h USING (host_id)
     WHERE e.name = 'deploy';

-- The deploys in [since, until) that a selector allows: each matcher on
-- service, version or one of the deploy's labels must hold; matchers on
-- other labels (endpoint="/chat") say nothing about deploys and are
-- skipped.
CREATE FUNCTION vigil.deploys_between(since timestamptz, until timestamptz,
                                      selector text DEFAULT '')
RETURNS SETOF vigil.deploy_events
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM vigil.deploy_events d
     WHERE d.ts >= since AND d.ts < until
       AND NOT EXISTS (
           SELECT 1 FROM vigil.selector_parse(selector) m,
                  LATERAL (SELECT d.labels || jsonb_build_object('service', d.service,
                                                                 'version', d.version) AS l) x
            WHERE x.l ? m.key
              AND NOT vigil.selector_match(x.l, NULL, ARRAY[m.key], ARRAY[m.op], ARRAY[m.value]))
     ORDER BY d.ts
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        GRANT SELECT ON vigil.deploys, vigil.deploy_events TO vigil_reader;
        GRANT EXECUTE ON FUNCTION vigil.deploys_between(timestamptz, timestamptz, text)
            TO vigil_reader;
    END IF;
END $$;
