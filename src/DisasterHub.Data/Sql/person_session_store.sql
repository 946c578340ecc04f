-- A new session (HubSessionStore.StoreAsync): the sessions already expired go first (signing in is rare; the index
-- on expires_at finds them).
DELETE FROM person_session WHERE expires_at < @now;
INSERT INTO person_session (key_sha256, user_id, ticket, created_at, renewed_at, expires_at)
VALUES (@key, @user, @ticket, @now, @now, @expires);
