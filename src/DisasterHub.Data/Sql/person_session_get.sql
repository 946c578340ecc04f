-- The ticket of a cookie's session, while it has not expired (the cookie handler checks the ticket's own expiry too).
SELECT ticket FROM person_session WHERE key_sha256 = @key AND (expires_at IS NULL OR expires_at > @now);
