//! Embedded migrations. Each entry is applied once, in order, and recorded in
//! `schema_migrations`; applied entries must never change.

/// Adds the tenant list of tokens: a JSON array of tenant names, NULL for every tenant.
const TOKEN_TENANTS: &str = "ALTER TABLE tokens ADD COLUMN tenants TEXT";

/// SQLite migrations.
pub const SQLITE: &[&str] = &[
    r#"
CREATE TABLE events (
    idx INTEGER PRIMARY KEY,
    event_id BLOB NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    event_time_us INTEGER NOT NULL,
    recorded_time_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount TEXT,
    currency TEXT,
    leaf BLOB NOT NULL
);
CREATE INDEX events_tenant_time ON events (tenant, event_time_us);
CREATE INDEX events_tenant_actor ON events (tenant, actor);
CREATE INDEX events_tenant_resource ON events (tenant, resource);
CREATE TABLE payloads (
    idx INTEGER PRIMARY KEY,
    salt BLOB NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE tiles (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE partial_tiles (
    level INTEGER PRIMARY KEY,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL
);
CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE tokens (
    secret_sha256 BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL
);
CREATE TABLE legal_holds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    resource_prefix TEXT NOT NULL,
    reason TEXT NOT NULL,
    released INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER tiles_no_update BEFORE UPDATE ON tiles
BEGIN SELECT RAISE(ABORT, 'audit tiles are append-only'); END;
CREATE TRIGGER tiles_no_delete BEFORE DELETE ON tiles
BEGIN SELECT RAISE(ABORT, 'audit tiles are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
"#,
    TOKEN_TENANTS,
];

/// PostgreSQL migrations, run inside the store's own schema.
pub const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE events (
    idx BIGINT PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    event_time_us BIGINT NOT NULL,
    recorded_time_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount TEXT,
    currency TEXT,
    leaf BYTEA NOT NULL
);
CREATE INDEX events_tenant_time ON events (tenant, event_time_us);
CREATE INDEX events_tenant_actor ON events (tenant, actor);
CREATE INDEX events_tenant_resource ON events (tenant, resource);
CREATE TABLE payloads (
    idx BIGINT PRIMARY KEY,
    salt BYTEA NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE tiles (
    level SMALLINT NOT NULL,
    idx BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
ALTER TABLE tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
CREATE TABLE partial_tiles (
    level SMALLINT PRIMARY KEY,
    idx BIGINT NOT NULL,
    hashes BYTEA NOT NULL
);
CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE tokens (
    secret_sha256 BYTEA PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL
);
CREATE TABLE legal_holds (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    resource_prefix TEXT NOT NULL,
    reason TEXT NOT NULL,
    released BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE FUNCTION reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only (% rejected)', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER tiles_append_only BEFORE UPDATE OR DELETE ON tiles
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER tiles_no_truncate BEFORE TRUNCATE ON tiles
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
DO $$
BEGIN
    -- The application role, when the administrator created it, may only add rows to
    -- the append-only tables (see docs/audit.md).
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexafi_audit_app') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO nexafi_audit_app', current_schema());
        REVOKE ALL ON events, tiles, checkpoints FROM nexafi_audit_app;
        GRANT SELECT, INSERT ON events, tiles, checkpoints TO nexafi_audit_app;
        GRANT SELECT, INSERT, UPDATE ON partial_tiles TO nexafi_audit_app;
        GRANT SELECT, INSERT, DELETE ON payloads TO nexafi_audit_app;
        GRANT SELECT, INSERT, UPDATE ON tokens, legal_holds TO nexafi_audit_app;
        GRANT USAGE ON SEQUENCE legal_holds_id_seq TO nexafi_audit_app;
    END IF;
END;
$$;
"#,
    TOKEN_TENANTS,
    POSTGRES_CHUNKED_LEAVES,
    POSTGRES_CHUNKED_PAYLOADS,
];

/// PostgreSQL schema v3: leaves stored in chunks and a query index filled after commit.
///
/// The acknowledged transaction writes `leaf_chunks`, `event_ids` and `payloads` only.
/// A chunk contains the leaves of consecutive indexes starting at `first_idx` and never
/// crosses a multiple of 256, so the chunk containing index `i` starts between
/// `i / 256 * 256` and `i`. The indexer copies the leaf fields into `event_index` and
/// moves `index_watermark.next_idx` in the same transaction. Rows of an existing v2
/// store move from `events` into the new tables, and `events` is dropped.
const POSTGRES_CHUNKED_LEAVES: &str = r#"
CREATE TABLE leaf_chunks (
    first_idx BIGINT PRIMARY KEY,
    leaves BYTEA[] NOT NULL
);
-- Leaves are JSON that pglz would compress a little at a high CPU cost on every commit.
ALTER TABLE leaf_chunks ALTER COLUMN leaves SET STORAGE EXTERNAL;
CREATE TABLE event_ids (
    event_id UUID PRIMARY KEY,
    idx BIGINT NOT NULL
);
CREATE TABLE event_index (
    idx BIGINT PRIMARY KEY,
    event_id UUID NOT NULL,
    tenant TEXT NOT NULL,
    event_time_us BIGINT NOT NULL,
    recorded_time_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount TEXT,
    currency TEXT
);
CREATE TABLE index_watermark (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    next_idx BIGINT NOT NULL
);

-- Each run of consecutive indexes inside one 256-block becomes one chunk.
INSERT INTO leaf_chunks (first_idx, leaves)
SELECT MIN(idx), array_agg(leaf ORDER BY idx)
FROM (SELECT idx, leaf, idx - row_number() OVER (ORDER BY idx) AS run FROM events) AS runs
GROUP BY idx / 256, run;
INSERT INTO event_ids (event_id, idx) SELECT event_id, idx FROM events;
INSERT INTO event_index (idx, event_id, tenant, event_time_us, recorded_time_us, actor,
                         action, resource, outcome, amount, currency)
SELECT idx, event_id, tenant, event_time_us, recorded_time_us, actor, action, resource,
       outcome, amount, currency
FROM events;
INSERT INTO index_watermark (next_idx) SELECT COALESCE(MAX(idx) + 1, 0) FROM events;
DROP TABLE events;

CREATE INDEX event_index_tenant_time ON event_index (tenant, event_time_us);
CREATE INDEX event_index_tenant_actor ON event_index (tenant, actor);
CREATE INDEX event_index_tenant_resource ON event_index (tenant, resource);

CREATE TRIGGER leaf_chunks_append_only BEFORE UPDATE OR DELETE ON leaf_chunks
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER leaf_chunks_no_truncate BEFORE TRUNCATE ON leaf_chunks
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER event_ids_append_only BEFORE UPDATE OR DELETE ON event_ids
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER event_ids_no_truncate BEFORE TRUNCATE ON event_ids
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER event_index_append_only BEFORE UPDATE OR DELETE ON event_index
    FOR EACH ROW EXECUTE FUNCTION reject_audit_change();
CREATE TRIGGER event_index_no_truncate BEFORE TRUNCATE ON event_index
    FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexafi_audit_app') THEN
        REVOKE ALL ON leaf_chunks, event_ids, event_index, index_watermark FROM nexafi_audit_app;
        GRANT SELECT, INSERT ON leaf_chunks, event_ids, event_index TO nexafi_audit_app;
        GRANT SELECT, UPDATE ON index_watermark TO nexafi_audit_app;
    END IF;
END;
$$;
"#;

/// PostgreSQL schema v4: payloads stored in chunks, and byte-order text in the query index.
///
/// `payload_chunks` has one row per `leaf_chunks` row, with the same `first_idx` and as
/// many elements: the salt and the canonical payload of each event, both NULL once the
/// payload is erased. `live` counts the payloads not erased, so a purge skips chunks
/// that have none left. Erasure is the only UPDATE the service makes to a chunk.
///
/// The query columns of `event_index` compare byte by byte (collation "C"): queries
/// only ask for equal values, which the collation does not change, and index upkeep no
/// longer pays for locale-aware comparisons.
const POSTGRES_CHUNKED_PAYLOADS: &str = r#"
CREATE TABLE payload_chunks (
    first_idx BIGINT PRIMARY KEY,
    live INTEGER NOT NULL CHECK (live >= 0),
    salts BYTEA[] NOT NULL,
    payloads TEXT[] NOT NULL
);
ALTER TABLE payload_chunks ALTER COLUMN salts SET STORAGE EXTERNAL;
ALTER TABLE payload_chunks ALTER COLUMN payloads SET STORAGE EXTERNAL;
CREATE INDEX payload_chunks_live ON payload_chunks (first_idx) WHERE live > 0;

INSERT INTO payload_chunks (first_idx, live, salts, payloads)
SELECT c.first_idx, COUNT(p.idx), array_agg(p.salt ORDER BY i), array_agg(p.payload ORDER BY i)
FROM leaf_chunks c
CROSS JOIN LATERAL generate_series(c.first_idx, c.first_idx + cardinality(c.leaves) - 1) AS i
LEFT JOIN payloads p ON p.idx = i
GROUP BY c.first_idx;
-- A payload row of no entry would be lost with the table, so the upgrade stops instead.
DO $$
BEGIN
    IF (SELECT COUNT(*) FROM payloads) <> (SELECT COALESCE(SUM(live), 0) FROM payload_chunks) THEN
        RAISE EXCEPTION 'payloads has rows whose idx is no stored entry; remove or restore them, then start again';
    END IF;
END;
$$;
DROP TABLE payloads;

ALTER TABLE event_index
    ALTER COLUMN tenant TYPE TEXT COLLATE "C",
    ALTER COLUMN actor TYPE TEXT COLLATE "C",
    ALTER COLUMN action TYPE TEXT COLLATE "C",
    ALTER COLUMN resource TYPE TEXT COLLATE "C";

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexafi_audit_app') THEN
        REVOKE ALL ON payload_chunks FROM nexafi_audit_app;
        GRANT SELECT, INSERT, UPDATE ON payload_chunks TO nexafi_audit_app;
    END IF;
END;
$$;
"#;
