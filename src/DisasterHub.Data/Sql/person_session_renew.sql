-- A renewed cookie (sliding expiration, a revalidated security stamp): only a session that still exists is renewed,
-- so an answer renewing it that arrives after the sign-out does not bring it back.
UPDATE person_session SET ticket = @ticket, expires_at = @expires, renewed_at = @now WHERE key_sha256 = @key;
