-- How many current features a source still holds (a source with any is disabled, not deleted). {0} = the source id.
SELECT count(*) AS "Value" FROM feature WHERE source_id = {0}
