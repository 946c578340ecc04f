-- Signing out, or a session whose person's security stamp changed: the key no longer opens anything, on any node.
DELETE FROM person_session WHERE key_sha256 = @key;
