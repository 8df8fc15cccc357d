-- Silences: alerts whose labels match are not notified between starts_at and
-- ends_at. matchers is the text as given (service="api", or a braced list),
-- parsed by the collector with the same code that checked it when it was made.
-- Expiring a silence sets ends_at to the moment it was expired.
CREATE TABLE vigil.silences (
    silence_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    matchers    text NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_by  text NOT NULL,
    comment     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at >= starts_at)
);
CREATE INDEX silences_ends_idx ON vigil.silences (ends_at);
