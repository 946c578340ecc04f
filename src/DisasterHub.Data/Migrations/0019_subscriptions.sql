-- Subscriptions (issue 15 item 5): a caller names an area, a condition and a webhook; every merged change that
-- matches becomes one delivery (idempotent per subscription and change), POSTed with an HMAC-SHA256 signature,
-- retried with backoff and, after its last attempt, kept as dead for the owner to read.
CREATE TABLE subscription (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    text NOT NULL,
    api_key_id         text,
    name               text,
    workspace          text NOT NULL DEFAULT 'live',
    layers             text[] NOT NULL,
    municipality_codes text[],                       -- a code: 2 digits (prefecture) or 6 (municipality, check digit)
    area               geometry(Geometry, 4326),      -- a bbox or polygon
    min_severity       smallint,
    status_changes     boolean NOT NULL DEFAULT false, -- only new entities and changes of status
    webhook_url        text NOT NULL,
    secret             text NOT NULL,
    levels             text[] NOT NULL,               -- the creating key's clearance
    hidden             jsonb NOT NULL,
    created_seq        bigint NOT NULL,
    cursor             bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    disabled_at        timestamptz
);
CREATE INDEX subscription_org ON subscription (organization_id);

CREATE TABLE subscription_delivery (
    id              bigserial PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
    change_seq      bigint NOT NULL,
    kind            text NOT NULL,
    payload         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    UNIQUE (subscription_id, change_seq)
);
CREATE INDEX subscription_delivery_due ON subscription_delivery (next_attempt_at) WHERE status = 'pending';
