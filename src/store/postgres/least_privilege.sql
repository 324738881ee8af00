-- Least privilege for the hooks' role (docs/team.md). Run as the database's owner, in the
-- team's database, after the first `aiperture doctor` as the owner created the tables.
-- The hook role reads and writes the engine's state, appends to the audit chain and moves its
-- signed head, and can neither rewrite nor remove an audit event.
GRANT USAGE ON SCHEMA public TO aiperture_hook;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO aiperture_hook;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO aiperture_hook;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM aiperture_hook;
REVOKE DELETE, TRUNCATE ON audit_head FROM aiperture_hook;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON aiperture_schema FROM aiperture_hook;
