-- The workspaces in which a source holds current features (live, its drill, a drill's replay), and the layers: what
-- withdrawing all of its features (IngestStore.WithdrawAllAsync) works through, one transaction per workspace.
SELECT DISTINCT workspace, layer FROM feature WHERE source_id = @source_id ORDER BY workspace, layer
