-- A source's failed attempt (SourceMark with an error): when, and the error source health shows.
UPDATE source SET last_attempt_at = @at, last_error_at = @at, last_error = @err WHERE id = @id
