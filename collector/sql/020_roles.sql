-- Vigil schema, roles: least privilege for each part that connects.
--
--   vigil_owner   owns the schema and runs the migrations (DDL)
--   vigil_writer  the collector: reads and writes rows, runs no DDL; new
--                 partitions come through vigil.ensure_partitions, which runs
--                 with its owner's rights (SECURITY DEFINER)
--   vigil_reader  reports, the CLI, people with psql: SELECT only
--
-- The three are group roles (NOLOGIN); give each login role the one it needs
-- (deploy/roles.sql shows how): GRANT vigil_writer TO collector_login. They
-- are made here when the role running the migrations may create roles, and
-- granted what they need whenever they exist. Default privileges make every
-- table, sequence and function a later migration adds (as the role running
-- the migrations) readable by vigil_reader and usable by vigil_writer.

DO $$
BEGIN
    IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_owner') THEN
            CREATE ROLE vigil_owner NOLOGIN;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer') THEN
            CREATE ROLE vigil_writer NOLOGIN;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_reader') THEN
            CREATE ROLE vigil_reader NOLOGIN;
        END IF;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer')
       OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        RAISE NOTICE 'roles vigil_writer and vigil_reader do not exist and % may not create '
                     'them: nothing granted (see deploy/roles.sql)', current_user;
        RETURN;
    END IF;

    GRANT USAGE ON SCHEMA vigil TO vigil_writer, vigil_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA vigil TO vigil_reader;
    GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA vigil TO vigil_writer;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA vigil TO vigil_writer;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil TO vigil_writer, vigil_reader;

    ALTER DEFAULT PRIVILEGES IN SCHEMA vigil GRANT SELECT ON TABLES TO vigil_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA vigil
        GRANT SELECT, INSERT, UPDATE ON TABLES TO vigil_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA vigil GRANT USAGE, SELECT ON SEQUENCES TO vigil_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA vigil
        GRANT EXECUTE ON FUNCTIONS TO vigil_writer, vigil_reader;
END $$;

-- Partitions are DDL: made with the rights of the function's owner, the role
-- that runs the migrations, for whoever calls it. search_path is pinned so a
-- caller cannot slip its own objects in.
ALTER FUNCTION vigil.ensure_partitions(date) SECURITY DEFINER SET search_path = pg_catalog, vigil;
ALTER FUNCTION vigil.index_partitions(date) SECURITY DEFINER SET search_path = pg_catalog, vigil;
-- Only the writer makes partitions: not the reader, not PUBLIC.
REVOKE EXECUTE ON FUNCTION vigil.ensure_partitions(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION vigil.index_partitions(date) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer') THEN
        REVOKE EXECUTE ON FUNCTION vigil.ensure_partitions(date) FROM vigil_reader;
        REVOKE EXECUTE ON FUNCTION vigil.index_partitions(date) FROM vigil_reader;
        GRANT EXECUTE ON FUNCTION vigil.ensure_partitions(date) TO vigil_writer;
        GRANT EXECUTE ON FUNCTION vigil.index_partitions(date) TO vigil_writer;
    END IF;
END $$;
