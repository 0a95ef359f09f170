-- 0004_visit_reference: the host application's own reference for a visit
-- (Visit.Reference); '' when none. ListVisits finds visits by it.

ALTER TABLE visits ADD COLUMN reference TEXT NOT NULL DEFAULT '';

CREATE INDEX visits_org_reference ON visits (org_id, reference) WHERE reference <> '';
