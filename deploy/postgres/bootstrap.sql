-- natres PostgreSQL bootstrap: extensions, one schema per service, least-privilege roles.
--
-- Run as a superuser INTO the database `natres` (deploy/local/infra.sh creates the database
-- and runs this file on every `start`; docker-compose mounts it into the postgis image's
-- /docker-entrypoint-initdb.d with POSTGRES_DB=natres). Idempotent: safe to run again.
--
-- Roles, per service s in (registry, transactions, audit):
--   <s>_owner  LOGIN. Owns schema <s>; runs that service's migrations (DDL).
--   <s>_app    LOGIN. Runtime role of the service: USAGE on schema <s> and, through default
--              privileges, SELECT/INSERT/UPDATE/DELETE on the tables and USAGE/SELECT on the
--              sequences that <s>_owner creates there. No DDL, nothing in other schemas.
-- No role can create in or write to another service's schema. Cross-service READ grants
-- (e.g. transactions_app SELECT on registry.units) belong to the owning service's
-- migration (run as <s>_owner), not here; this file only guarantees the roles exist first.
--
-- Local-dev passwords: each role's password equals its role name (registry_owner /
-- registry_owner, registry_app / registry_app, ...). They are set only when the role is
-- CREATED, so a later `ALTER ROLE ... PASSWORD` (the way to override them) survives re-runs.
-- The superuser password (postgres/postgres for TCP) is set by infra.sh, not here, so this
-- file stays usable on a server whose superuser is managed elsewhere.

\set ON_ERROR_STOP on

CREATE EXTENSION IF NOT EXISTS postgis;

-- PostgreSQL 15 already denies CREATE on schema public to PUBLIC; say it explicitly so the
-- intent survives a cluster initialised differently (or an older server in compose).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- PostGIS functions and types live in public: everyone needs USAGE there.
GRANT USAGE ON SCHEMA public TO PUBLIC;

DO $bootstrap$
DECLARE
    s text;
    owner_role text;
    app_role text;
BEGIN
    FOREACH s IN ARRAY ARRAY['registry', 'transactions', 'audit'] LOOP
        owner_role := s || '_owner';
        app_role := s || '_app';

        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = owner_role) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', owner_role, owner_role);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app_role) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', app_role, app_role);
        END IF;
        -- Whatever happened before: no superuser/createdb/createrole powers, and LOGIN.
        EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', owner_role);
        EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', app_role);

        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I, %I',
                       current_database(), owner_role, app_role);

        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, owner_role);
        -- A schema created earlier by someone else is handed to its owner role.
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', s, owner_role);
        -- Only the owner may create objects there; the app role only uses them.
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', s);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, app_role);

        -- Objects the owner creates later (migrations) are usable by the app role.
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
                       owner_role, s, app_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT USAGE, SELECT ON SEQUENCES TO %I',
                       owner_role, s, app_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT EXECUTE ON FUNCTIONS TO %I',
                       owner_role, s, app_role);

        -- No GRANT ... ON ALL TABLES here: bootstrap re-runs at every start, and a blanket grant
        -- would undo what migrations deliberately revoke (UPDATE/DELETE on the register book and
        -- the audit log). Tables get their grants from the default privileges above and from the
        -- owning service's migrations.

        -- Unqualified names resolve to the service's own schema first, then public (PostGIS).
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I, public',
                       owner_role, current_database(), s);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I, public',
                       app_role, current_database(), s);
        -- A runtime session left idle inside a transaction (a stuck or stopped process) keeps a
        -- snapshot open, and with it every dead version of a hot row (a busy listing's bids slow
        -- to a crawl behind one). The services never idle in a transaction that long.
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                       app_role, current_database(), '5min');
    END LOOP;
END
$bootstrap$;
