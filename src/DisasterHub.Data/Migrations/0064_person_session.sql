-- Sessions held by the hub, not only by the cookie (issue 14's sign-in, mended). Before, the session cookie carried the
-- whole signed ticket: signing out only asked the browser to drop it, so a copy taken before (a shared computer, a
-- proxy log) stayed valid for its 12 hours, and an answer renewing the cookie that arrived after the sign-out's put
-- the session back. Now the cookie carries only a random key; the ticket is here, under the key's SHA-256 (a read of
-- this table yields no usable cookie). Signing out deletes the row (each node keeps a session it read for 2 s: HubSessionStore); a renewal only updates a row
-- that still exists; removing a person ends their sessions (ON DELETE CASCADE). Expired rows go at the next sign-in.
CREATE TABLE person_session (
    key_sha256 bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES hub_user (id) ON DELETE CASCADE,
    ticket     bytea NOT NULL,
    created_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL,
    expires_at timestamptz
);
CREATE INDEX person_session_expires ON person_session (expires_at);
CREATE INDEX person_session_user ON person_session (user_id);
