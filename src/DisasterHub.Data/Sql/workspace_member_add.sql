-- A drill's member organizations (./hub drill create NAME --org A,B); unknown organizations fail on the foreign key.
INSERT INTO workspace_member (workspace, organization_id)
SELECT @n, unnest(@orgs::text[])
ON CONFLICT DO NOTHING;
