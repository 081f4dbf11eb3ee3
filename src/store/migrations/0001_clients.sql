-- Saved Entra app registrations. The secret is NOT here: it lives in the OS keyring
-- (or the opt-in file store), keyed by `id`.
CREATE TABLE clients (
    id                      TEXT PRIMARY KEY,           -- stable ClientKey (UUID); survives renames
    name                    TEXT NOT NULL,
    name_key                TEXT NOT NULL UNIQUE,       -- lower-cased name: names are unique ignoring case
    tenant_id               TEXT NOT NULL,
    client_id               TEXT NOT NULL,
    active                  INTEGER NOT NULL DEFAULT 1,
    azure_sso               INTEGER NOT NULL DEFAULT 0,
    cloud                   TEXT NOT NULL DEFAULT 'global',
    authority_url           TEXT,                       -- only for cloud = 'custom'
    graph_url               TEXT,                       -- only for cloud = 'custom'
    guard_max_users         INTEGER NOT NULL DEFAULT 500,
    guard_max_percent       INTEGER NOT NULL DEFAULT 20,
    secret_backend          TEXT NOT NULL DEFAULT 'os', -- which secret store holds this client's secret
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
