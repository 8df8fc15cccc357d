-- roles.sql - login roles for Vigil, least privilege (run once, as a superuser):
--
--   psql -v owner_pw="'...'" -v writer_pw="'...'" -v reader_pw="'...'" \
--        -d vigil -f deploy/roles.sql
--
-- vigil_owner runs the migrations (vigil-collector --migrate), so it owns the
-- schema; the collector logs in as vigil_collector (a member of
-- vigil_writer: rows only, no DDL); reports and people as vigil_report (a
-- member of vigil_reader: SELECT only). Migration 020 grants the group roles
-- what they need, now and for every later migration.
\set ON_ERROR_STOP on
SELECT 'CREATE ROLE vigil_owner NOLOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_owner') \gexec
SELECT 'CREATE ROLE vigil_writer NOLOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer') \gexec
SELECT 'CREATE ROLE vigil_reader NOLOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_reader') \gexec
ALTER ROLE vigil_owner LOGIN PASSWORD :owner_pw;
SELECT 'CREATE ROLE vigil_collector LOGIN IN ROLE vigil_writer' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_collector') \gexec
SELECT 'CREATE ROLE vigil_report LOGIN IN ROLE vigil_reader' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_report') \gexec
ALTER ROLE vigil_collector PASSWORD :writer_pw;
ALTER ROLE vigil_report PASSWORD :reader_pw;
-- The owner may create the schema in this database, nobody else.
SELECT format('GRANT CREATE ON DATABASE %I TO vigil_owner', current_database()) \gexec
SELECT format('REVOKE CREATE ON DATABASE %I FROM PUBLIC', current_database()) \gexec
