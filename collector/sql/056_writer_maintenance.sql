-- Vigil schema: the collector's own upkeep works under least privilege.
--
-- The collector, as a member of vigil_writer, runs no DDL, yet it keeps the
-- ledger's window of day partitions moving (vigil.ledger_maintain), makes
-- every tier's partitions ahead (vigil.ensure_partitions_ahead) and the
-- rollups' for the days it writes (vigil.ensure_rollup_partitions), and drops
-- what retention lets go (vigil.drop_partition). Like vigil.ensure_partitions
-- (020_roles), these run with their owner's rights, search_path pinned, and
-- only the writer may call them. drop_partition now also refuses a partition
-- that is not wholly in the past, so these rights cannot drop what is being
-- written.

CREATE OR REPLACE FUNCTION vigil.drop_partition(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    part_end timestamptz;
BEGIN
    SELECT p.hi INTO part_end FROM vigil.partitions() p WHERE p.partition = name;
    IF NOT FOUND THEN
        IF to_regclass(format('vigil.%I', name)) IS NOT NULL THEN
            RAISE EXCEPTION 'vigil.drop_partition: % is not a partition of a Vigil tier', name;
        END IF;
        RETURN false;
    END IF;
    IF part_end IS NULL OR part_end > now() THEN
        RAISE EXCEPTION 'vigil.drop_partition: % holds time that has not passed yet (up to %)',
                        name, part_end;
    END IF;
    EXECUTE format('DROP TABLE vigil.%I', name);
    RETURN true;
END $$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['vigil.ledger_maintain(date, integer, integer)',
                             'vigil.ensure_partitions_ahead(timestamptz, integer)',
                             'vigil.ensure_rollup_partitions(date)',
                             'vigil.drop_partition(text)'] LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, vigil', f);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_reader') THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM vigil_reader', f);
        END IF;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO vigil_writer', f);
        END IF;
    END LOOP;
END $$;
