-- Everything a sync produces: the directory, delta state, jobs and their records,
-- schedules and their claimed fire times. Also the stored validation result.

ALTER TABLE clients ADD COLUMN last_validation_ok      INTEGER;
ALTER TABLE clients ADD COLUMN last_validation_at      TEXT;
ALTER TABLE clients ADD COLUMN last_validation_summary TEXT;
ALTER TABLE clients ADD COLUMN job_retention           INTEGER NOT NULL DEFAULT 500;

CREATE TABLE directory_users (
    client_key          TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    object_id           TEXT NOT NULL,                  -- Entra object id
    display_name        TEXT,
    given_name          TEXT,
    surname             TEXT,
    user_principal_name TEXT,
    mail                TEXT,
    job_title           TEXT,
    department          TEXT,
    office_location     TEXT,
    company_name        TEXT,
    employee_id         TEXT,
    mobile_phone        TEXT,
    business_phones     TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
    city                TEXT,
    country             TEXT,
    user_type           TEXT,
    account_enabled     INTEGER,
    manager_id          TEXT,                           -- object id of the manager, if any
    sso_issuer          TEXT,                           -- SSO identity, only for Azure SSO clients
    sso_subject         TEXT,
    sso_login           TEXT,
    deleted             INTEGER NOT NULL DEFAULT 0,     -- soft-deleted in Entra (recycle bin)
    synced_at           TEXT NOT NULL,
    PRIMARY KEY (client_key, object_id)
) WITHOUT ROWID;
CREATE INDEX directory_users_manager ON directory_users (client_key, manager_id);

CREATE TABLE sync_state (
    client_key   TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
    delta_link   TEXT,
    saved_at     TEXT,
    last_full_at TEXT
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    client_key      TEXT REFERENCES clients(id) ON DELETE SET NULL,  -- history outlives the client
    client_name     TEXT NOT NULL,
    trigger         TEXT NOT NULL,       -- manual | scheduled | cli
    schedule_name   TEXT,
    kind            TEXT NOT NULL,       -- full | incremental | dryRun
    status          TEXT NOT NULL,       -- running | succeeded | failed | cancelled | interrupted | blocked | skipped
    allow_deletes   INTEGER NOT NULL DEFAULT 0,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    pages           INTEGER NOT NULL DEFAULT 0,
    users_read      INTEGER NOT NULL DEFAULT 0,
    added           INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    restored        INTEGER NOT NULL DEFAULT 0,
    manager_changed INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT,
    error_message   TEXT,
    owner_pid       INTEGER,             -- process running the job: finds interrupted jobs
    owner_host      TEXT
);
CREATE INDEX jobs_client ON jobs (client_key, id);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE job_log (
    job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE job_changes (
    job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    label   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    fields  TEXT NOT NULL DEFAULT '[]',  -- JSON [{field, before, after}]
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    client_key  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (client_key, name)
);

-- One row per schedule and fire time: the primary key makes "start at most one job
-- per fire time" hold across processes sharing this database.
CREATE TABLE schedule_fires (
    schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    fire_time   TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    claimed_by  TEXT NOT NULL,
    catch_up    INTEGER NOT NULL DEFAULT 0,
    job_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    PRIMARY KEY (schedule_id, fire_time)
) WITHOUT ROWID;
