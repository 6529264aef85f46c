-- One-time setup of the two database roles, as a PostgreSQL superuser:
--   psql -v owner_password="'...'" -v app_password="'...'" -f deploy/postgres-roles.sql
-- screening_owner owns the schema and runs the migrations (MIGRATION_DATABASE_URL);
-- screening_app is what the app logs in as (DATABASE_URL). After every migration,
-- `flask --app wsgi grant-app-role screening_app` (run as the owner) grants it:
--   SELECT, INSERT, UPDATE, DELETE on every table except audit_events,
--   SELECT, INSERT on audit_events (no UPDATE, DELETE, TRUNCATE),
--   SELECT on alembic_version, USAGE and SELECT on the sequences, USAGE on the schema.
-- It owns nothing, so it cannot ALTER a table, disable or drop the append-only triggers.
CREATE ROLE screening_owner LOGIN PASSWORD :owner_password;
CREATE ROLE screening_app LOGIN PASSWORD :app_password;
CREATE DATABASE screening OWNER screening_owner;
\connect screening
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO screening_owner;
