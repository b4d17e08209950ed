"""The emulated Confluence's tables: spaces, content metadata, versions (with bodies), labels and
content properties. Content metadata (the columns CQL filters and sorts on) lives in ``cf_content``;
bodies live in ``cf_versions``, one row per saved version, so listing and searching thousands of
large pages never reads a body that is not returned.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS cf_spaces (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    homepage_id INTEGER
);
CREATE TABLE IF NOT EXISTS cf_content (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL,                       -- page | comment
    status       TEXT NOT NULL,                       -- current | trashed
    space_key    TEXT NOT NULL REFERENCES cf_spaces(key),
    title        TEXT NOT NULL,
    title_lower  TEXT NOT NULL,                       -- Confluence matches titles case-insensitively
    parent_id    INTEGER REFERENCES cf_content(id),   -- pages: the parent page (NULL at the space root)
    container_id INTEGER REFERENCES cf_content(id),   -- comments: the page they are on
    position     INTEGER NOT NULL,                    -- order among siblings
    version      INTEGER NOT NULL,
    created      TEXT NOT NULL,
    creator      TEXT NOT NULL,
    modified     TEXT NOT NULL,
    modifier     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cf_content_space ON cf_content(space_key, type, status);
CREATE INDEX IF NOT EXISTS cf_content_title ON cf_content(space_key, title_lower);
CREATE INDEX IF NOT EXISTS cf_content_parent ON cf_content(parent_id);
CREATE INDEX IF NOT EXISTS cf_content_container ON cf_content(container_id);
CREATE INDEX IF NOT EXISTS cf_content_modified ON cf_content(modified);
CREATE TABLE IF NOT EXISTS cf_versions (
    content_id INTEGER NOT NULL REFERENCES cf_content(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    title      TEXT NOT NULL,
    saved_at   TEXT NOT NULL,
    saved_by   TEXT NOT NULL,
    message    TEXT NOT NULL,
    minor_edit INTEGER NOT NULL,
    body       TEXT NOT NULL,                         -- last, so metadata reads skip its pages
    PRIMARY KEY (content_id, number)
);
CREATE TABLE IF NOT EXISTS cf_labels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS cf_content_labels (
    content_id INTEGER NOT NULL REFERENCES cf_content(id) ON DELETE CASCADE,
    label_id   INTEGER NOT NULL REFERENCES cf_labels(id),
    PRIMARY KEY (content_id, label_id)
);
CREATE INDEX IF NOT EXISTS cf_content_labels_label ON cf_content_labels(label_id);
CREATE TABLE IF NOT EXISTS cf_properties (
    id         INTEGER PRIMARY KEY,
    content_id INTEGER NOT NULL REFERENCES cf_content(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                         -- JSON
    version    INTEGER NOT NULL,
    saved_at   TEXT NOT NULL,
    saved_by   TEXT NOT NULL,
    UNIQUE (content_id, key)
);
"""
