-- 0004_visit_reference: the host application's own reference for a visit
-- (Visit.Reference); '' when none. ListVisits finds visits by it. A
-- constant default makes the column addition a catalog change only.

ALTER TABLE visits ADD COLUMN reference text NOT NULL DEFAULT '';

CREATE INDEX visits_org_reference_idx ON visits (org_id, reference) WHERE reference <> '';
