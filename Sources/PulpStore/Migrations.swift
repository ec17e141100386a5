import GRDB

extension PulpStore {
    /// Named, append-only migrations. Never edit a registered step: add a new one.
    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()

        m.registerMigration("v1-resources") { db in
            try db.execute(sql: """
                CREATE TABLE repositories (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    repo_id TEXT NOT NULL UNIQUE,
                    oid TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    description TEXT,
                    notes TEXT NOT NULL DEFAULT '{}',
                    scratchpad TEXT NOT NULL DEFAULT '{}',
                    content_unit_counts TEXT NOT NULL DEFAULT '{}',
                    last_unit_added REAL,
                    last_unit_removed REAL
                );
                CREATE TABLE importers (
                    repo_id TEXT PRIMARY KEY REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    type_id TEXT NOT NULL,
                    oid TEXT NOT NULL,
                    config TEXT NOT NULL DEFAULT '{}',
                    last_sync REAL,
                    scratchpad TEXT NOT NULL DEFAULT 'null'
                );
                CREATE TABLE distributors (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    dist_id TEXT NOT NULL,
                    type_id TEXT NOT NULL,
                    oid TEXT NOT NULL,
                    config TEXT NOT NULL DEFAULT '{}',
                    auto_publish INTEGER NOT NULL DEFAULT 0,
                    last_publish REAL,
                    scratchpad TEXT NOT NULL DEFAULT '{}',
                    UNIQUE (repo_id, dist_id)
                );
                CREATE TABLE consumers (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    consumer_id TEXT NOT NULL UNIQUE,
                    oid TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    description TEXT,
                    notes TEXT NOT NULL DEFAULT '{}',
                    capabilities TEXT NOT NULL DEFAULT '{}',
                    rsa_pub TEXT
                );
                CREATE TABLE schedules (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    schedule_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    repo_id TEXT REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    consumer_id TEXT REFERENCES consumers(consumer_id) ON DELETE CASCADE,
                    owner_id TEXT NOT NULL,
                    schedule TEXT NOT NULL,
                    kwargs TEXT NOT NULL DEFAULT '{}',
                    enabled INTEGER NOT NULL,
                    failure_threshold INTEGER,
                    consecutive_failures INTEGER NOT NULL DEFAULT 0,
                    remaining_runs INTEGER,
                    total_run_count INTEGER NOT NULL DEFAULT 0,
                    first_run TEXT NOT NULL,
                    last_run_at REAL,
                    last_updated REAL NOT NULL
                );
                CREATE INDEX schedules_owner ON schedules(kind, repo_id, owner_id);
                CREATE INDEX schedules_consumer ON schedules(consumer_id);
                CREATE TABLE units (
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    type_id TEXT NOT NULL,
                    unit_id TEXT NOT NULL,
                    PRIMARY KEY (repo_id, type_id, unit_id)
                ) WITHOUT ROWID;
                CREATE TABLE sync_history (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    oid TEXT NOT NULL,
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    importer_type_id TEXT NOT NULL,
                    started REAL NOT NULL,
                    completed REAL NOT NULL,
                    result TEXT NOT NULL,
                    added_count INTEGER NOT NULL,
                    updated_count INTEGER NOT NULL,
                    removed_count INTEGER NOT NULL,
                    summary TEXT NOT NULL DEFAULT '{}',
                    details TEXT NOT NULL DEFAULT '{}',
                    error_message TEXT
                );
                CREATE INDEX sync_history_repo ON sync_history(repo_id, started);
                CREATE TABLE publish_history (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    oid TEXT NOT NULL,
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    distributor_id TEXT NOT NULL,
                    distributor_type_id TEXT NOT NULL,
                    started REAL NOT NULL,
                    completed REAL NOT NULL,
                    result TEXT NOT NULL,
                    summary TEXT NOT NULL DEFAULT '{}',
                    details TEXT NOT NULL DEFAULT '{}',
                    error_message TEXT
                );
                CREATE INDEX publish_history_repo ON publish_history(repo_id, distributor_id, started);
                """)
        }

        m.registerMigration("v1-tasks") { db in
            try db.execute(sql: """
                CREATE TABLE tasks (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    task_id TEXT NOT NULL UNIQUE,
                    oid TEXT NOT NULL,
                    state TEXT NOT NULL,
                    task_type TEXT NOT NULL,
                    tags TEXT NOT NULL DEFAULT '[]',
                    resource TEXT,
                    group_id TEXT,
                    worker_name TEXT,
                    start_time REAL,
                    finish_time REAL,
                    progress_report TEXT NOT NULL DEFAULT '{}',
                    result TEXT NOT NULL DEFAULT 'null',
                    error TEXT NOT NULL DEFAULT 'null',
                    traceback TEXT,
                    spawned_tasks TEXT NOT NULL DEFAULT '[]',
                    operation TEXT NOT NULL,
                    scheduled_call_id TEXT
                );
                CREATE INDEX tasks_state ON tasks(state);
                CREATE INDEX tasks_group ON tasks(group_id);
                """)
        }
        m.registerMigration("v2-reconciler-state") { db in
            try db.execute(sql: """
                CREATE TABLE reconciler_meta (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                CREATE TABLE secret_fingerprints (
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    plugin TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    PRIMARY KEY (repo_id, plugin, key)
                ) WITHOUT ROWID;
                """)
        }
        // The reconciler's fast path. `content_hash` holds the fingerprint of the configuration pulpform last
        // applied and verified (the `pulpform_applied` note), for as long as nothing else changes the repository:
        // any change to its name, description, notes, importer, distributors or schedules clears it.
        // Runtime fields (unit counts, last sync, schedule run counters) leave it alone.
        m.registerMigration("v3-content-hash") { db in
            try db.execute(sql: """
                ALTER TABLE repositories ADD COLUMN content_hash TEXT;
                CREATE TRIGGER repositories_content AFTER UPDATE OF display_name, description, notes ON repositories
                WHEN OLD.display_name IS NOT NEW.display_name OR OLD.description IS NOT NEW.description
                     OR OLD.notes IS NOT NEW.notes
                BEGIN UPDATE repositories SET content_hash = NULL WHERE seq = NEW.seq; END;
                CREATE TRIGGER importers_insert AFTER INSERT ON importers
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER importers_update AFTER UPDATE ON importers
                WHEN OLD.type_id IS NOT NEW.type_id OR OLD.config IS NOT NEW.config
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER importers_delete AFTER DELETE ON importers
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = OLD.repo_id; END;
                CREATE TRIGGER distributors_insert AFTER INSERT ON distributors
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER distributors_update AFTER UPDATE ON distributors
                WHEN OLD.type_id IS NOT NEW.type_id OR OLD.config IS NOT NEW.config OR OLD.auto_publish IS NOT NEW.auto_publish
                     OR OLD.dist_id IS NOT NEW.dist_id
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER distributors_delete AFTER DELETE ON distributors
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = OLD.repo_id; END;
                CREATE TRIGGER schedules_insert AFTER INSERT ON schedules WHEN NEW.repo_id IS NOT NULL
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER schedules_update AFTER UPDATE ON schedules
                WHEN NEW.repo_id IS NOT NULL AND (OLD.schedule IS NOT NEW.schedule OR OLD.kwargs IS NOT NEW.kwargs
                     OR OLD.enabled IS NOT NEW.enabled OR OLD.failure_threshold IS NOT NEW.failure_threshold
                     OR OLD.owner_id IS NOT NEW.owner_id OR OLD.kind IS NOT NEW.kind)
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = NEW.repo_id; END;
                CREATE TRIGGER schedules_delete AFTER DELETE ON schedules WHEN OLD.repo_id IS NOT NULL
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = OLD.repo_id; END;
                """)
        }
        // The triggers of v3 rewrote the repository's row even when its hash was already clear: a create wrote the
        // row five times over. Now they only touch a row that has a hash to clear.
        m.registerMigration("v4-content-hash-triggers") { db in
            func trigger(_ name: String, _ head: String, _ row: String) -> String {
                """
                DROP TRIGGER \(name); CREATE TRIGGER \(name) \(head)
                BEGIN UPDATE repositories SET content_hash = NULL WHERE repo_id = \(row).repo_id AND content_hash IS NOT NULL; END;
                """
            }
            try db.execute(sql: [
                "DROP TRIGGER repositories_content;",
                """
                CREATE TRIGGER repositories_content AFTER UPDATE OF display_name, description, notes ON repositories
                WHEN NEW.content_hash IS NOT NULL AND (OLD.display_name IS NOT NEW.display_name
                     OR OLD.description IS NOT NEW.description OR OLD.notes IS NOT NEW.notes)
                BEGIN UPDATE repositories SET content_hash = NULL WHERE seq = NEW.seq; END;
                """,
                trigger("importers_insert", "AFTER INSERT ON importers", "NEW"),
                trigger("importers_update", "AFTER UPDATE ON importers WHEN OLD.type_id IS NOT NEW.type_id OR OLD.config IS NOT NEW.config", "NEW"),
                trigger("importers_delete", "AFTER DELETE ON importers", "OLD"),
                trigger("distributors_insert", "AFTER INSERT ON distributors", "NEW"),
                trigger("distributors_update", """
                    AFTER UPDATE ON distributors
                    WHEN OLD.type_id IS NOT NEW.type_id OR OLD.config IS NOT NEW.config OR OLD.auto_publish IS NOT NEW.auto_publish
                         OR OLD.dist_id IS NOT NEW.dist_id
                    """, "NEW"),
                trigger("distributors_delete", "AFTER DELETE ON distributors", "OLD"),
                trigger("schedules_insert", "AFTER INSERT ON schedules WHEN NEW.repo_id IS NOT NULL", "NEW"),
                trigger("schedules_update", """
                    AFTER UPDATE ON schedules
                    WHEN NEW.repo_id IS NOT NULL AND (OLD.schedule IS NOT NEW.schedule OR OLD.kwargs IS NOT NEW.kwargs
                         OR OLD.enabled IS NOT NEW.enabled OR OLD.failure_threshold IS NOT NEW.failure_threshold
                         OR OLD.owner_id IS NOT NEW.owner_id OR OLD.kind IS NOT NEW.kind)
                    """, "NEW"),
                trigger("schedules_delete", "AFTER DELETE ON schedules WHEN OLD.repo_id IS NOT NULL", "OLD"),
            ].joined(separator: "\n"))
        }
        // Real content: units with their key, metadata and repodata snippets; which repositories hold them, and since
        // when (Pulp's association `created` and `updated`, for the sync counts).
        m.registerMigration("v5-content") { db in
            try db.execute(sql: """
                CREATE TABLE content_units (
                    unit_id TEXT PRIMARY KEY,
                    type_id TEXT NOT NULL,
                    key_digest TEXT NOT NULL,
                    unit_key TEXT NOT NULL,
                    metadata TEXT NOT NULL DEFAULT '{}',
                    pkgid TEXT,
                    file_sha256 TEXT,
                    size INTEGER,
                    downloaded INTEGER NOT NULL DEFAULT 0,
                    last_updated REAL NOT NULL,
                    UNIQUE (type_id, key_digest)
                );
                CREATE INDEX content_units_pkgid ON content_units(pkgid) WHERE pkgid IS NOT NULL;
                CREATE TABLE unit_repodata (
                    unit_id TEXT PRIMARY KEY REFERENCES content_units(unit_id) ON DELETE CASCADE,
                    primary_xml BLOB,
                    filelists_xml BLOB,
                    other_xml BLOB
                );
                CREATE TABLE repo_content (
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    unit_id TEXT NOT NULL REFERENCES content_units(unit_id),
                    type_id TEXT NOT NULL,
                    created REAL NOT NULL,
                    updated REAL NOT NULL,
                    PRIMARY KEY (repo_id, unit_id)
                ) WITHOUT ROWID;
                CREATE INDEX repo_content_unit ON repo_content(unit_id);
                CREATE INDEX repo_content_type ON repo_content(repo_id, type_id);
                """)
        }
        // The skip-if-unchanged check and the snippet check look for the few incomplete units among many: partial
        // indexes hold only those.
        m.registerMigration("v6-content-incomplete-units") { db in
            try db.execute(sql: """
                CREATE INDEX content_units_not_downloaded ON content_units(unit_id) WHERE downloaded = 0;
                CREATE INDEX unit_repodata_incomplete ON unit_repodata(unit_id) WHERE filelists_xml IS NULL OR other_xml IS NULL;
                """)
        }
        // Uploads in progress (`/content/uploads/`): their bytes are a file in the content directory; the row
        // records which ranges have arrived, so that an import can tell a finished upload from one with holes.
        m.registerMigration("v7-uploads") { db in
            try db.execute(sql: """
                CREATE TABLE uploads (
                    upload_id TEXT PRIMARY KEY,
                    created REAL NOT NULL,
                    ranges TEXT NOT NULL DEFAULT '[]'
                );
                """)
        }
        // Deferred downloads (`download_policy: on_demand` or `background`): where each repository's sync found a
        // package whose file the content directory does not hold yet (Pulp's lazy catalog).
        m.registerMigration("v8-lazy-catalog") { db in
            try db.execute(sql: """
                CREATE TABLE lazy_catalog (
                    unit_id TEXT NOT NULL REFERENCES content_units(unit_id) ON DELETE CASCADE,
                    repo_id TEXT NOT NULL REFERENCES repositories(repo_id) ON DELETE CASCADE,
                    url TEXT NOT NULL,
                    PRIMARY KEY (unit_id, repo_id)
                ) WITHOUT ROWID;
                """)
        }
        // Who may do what (issue 16): users (a password hash or none: none cannot log in), roles and their
        // members, grants of operations on resource paths to a user or a role (a bit set, CREATE = 1 … EXECUTE =
        // 16), and API tokens kept only as the SHA-256 of the token. The built-in super-users role, with every
        // operation on `/`, has no member until `pulpform user create --super-user`: no default login.
        m.registerMigration("v9-auth") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    login TEXT PRIMARY KEY,
                    oid TEXT NOT NULL,
                    name TEXT NOT NULL,
                    password_hash TEXT,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    generation INTEGER NOT NULL DEFAULT 0,
                    created REAL NOT NULL
                );
                CREATE TABLE roles (
                    role_id TEXT PRIMARY KEY,
                    oid TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    description TEXT
                );
                CREATE TABLE role_members (
                    role_id TEXT NOT NULL REFERENCES roles(role_id) ON DELETE CASCADE,
                    login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
                    PRIMARY KEY (role_id, login)
                ) WITHOUT ROWID;
                CREATE INDEX role_members_login ON role_members(login);
                CREATE TABLE grants (
                    resource TEXT NOT NULL,
                    grantee_kind TEXT NOT NULL CHECK (grantee_kind IN ('user', 'role')),
                    grantee TEXT NOT NULL,
                    operations INTEGER NOT NULL CHECK (operations BETWEEN 1 AND 31),
                    PRIMARY KEY (resource, grantee_kind, grantee)
                ) WITHOUT ROWID;
                CREATE INDEX grants_grantee ON grants(grantee_kind, grantee);
                CREATE TABLE api_tokens (
                    token_id TEXT PRIMARY KEY,
                    login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
                    digest TEXT NOT NULL UNIQUE,
                    note TEXT,
                    created REAL NOT NULL,
                    expires REAL,
                    revoked REAL,
                    last_used REAL
                );
                CREATE INDEX api_tokens_login ON api_tokens(login);
                INSERT INTO roles (role_id, oid, display_name, description)
                    VALUES ('super-users', '2158463ad168781471acff08', 'Super Users',
                            'Role indicates users with admin privileges');
                INSERT INTO grants (resource, grantee_kind, grantee, operations) VALUES ('/', 'role', 'super-users', 31);
                """)
        }
        // A counter that moves on with every change to users, roles, members, grants and tokens: a running server
        // polls it and reloads its in-memory view when another process (the CLI) changed them.
        m.registerMigration("v10-auth-version") { db in
            try db.execute(sql: """
                CREATE TABLE auth_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO auth_version (id, version) VALUES (1, 0);
                CREATE TRIGGER users_insert_auth_version AFTER INSERT ON users
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER users_update_auth_version AFTER UPDATE ON users
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER users_delete_auth_version AFTER DELETE ON users
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER roles_insert_auth_version AFTER INSERT ON roles
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER roles_update_auth_version AFTER UPDATE ON roles
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER roles_delete_auth_version AFTER DELETE ON roles
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER role_members_insert_auth_version AFTER INSERT ON role_members
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER role_members_update_auth_version AFTER UPDATE ON role_members
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER role_members_delete_auth_version AFTER DELETE ON role_members
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER grants_insert_auth_version AFTER INSERT ON grants
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER grants_update_auth_version AFTER UPDATE ON grants
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER grants_delete_auth_version AFTER DELETE ON grants
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER api_tokens_insert_auth_version AFTER INSERT ON api_tokens
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER api_tokens_update_auth_version AFTER UPDATE ON api_tokens
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER api_tokens_delete_auth_version AFTER DELETE ON api_tokens
                BEGIN UPDATE auth_version SET version = version + 1; END;
                """)
        }
        // The login certificates `POST /actions/login/` issued, by serial: a client certificate counts only while
        // its serial is here, unrevoked and unexpired (2.8 kept no record and could revoke nothing).
        m.registerMigration("v11-login-certificates") { db in
            try db.execute(sql: """
                CREATE TABLE login_certificates (
                    serial TEXT PRIMARY KEY,
                    login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
                    issued REAL NOT NULL,
                    expires REAL NOT NULL,
                    revoked REAL
                );
                CREATE INDEX login_certificates_login ON login_certificates(login);
                CREATE TRIGGER login_certificates_insert_auth_version AFTER INSERT ON login_certificates
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER login_certificates_update_auth_version AFTER UPDATE ON login_certificates
                BEGIN UPDATE auth_version SET version = version + 1; END;
                CREATE TRIGGER login_certificates_delete_auth_version AFTER DELETE ON login_certificates
                BEGIN UPDATE auth_version SET version = version + 1; END;
                """)
        }
        // The users and roles the reconciler manages (their `users:`/`roles:` manifests): what it applied, and the
        // fingerprint of the password it set. Users and roles carry no notes, so this is their `pulpform_applied`.
        m.registerMigration("v12-reconciler-access") { db in
            try db.execute(sql: """
                CREATE TABLE reconciler_access (
                    kind TEXT NOT NULL CHECK (kind IN ('user', 'role')),
                    name TEXT NOT NULL,
                    applied TEXT NOT NULL,
                    password_fingerprint TEXT,
                    PRIMARY KEY (kind, name)
                ) WITHOUT ROWID;
                """)
        }
        return m
    }()
}
