-- 0006_appointments: appointments (issue 18), and the appointment a visit
-- checked in with (Visit.AppointmentID, '' when none).

ALTER TABLE visits ADD COLUMN appointment_id TEXT NOT NULL DEFAULT '';

CREATE INDEX visits_org_appointment ON visits (org_id, appointment_id) WHERE appointment_id <> '';

CREATE TABLE appointments (
	org_id              TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id                  TEXT    NOT NULL,
	code                TEXT    NOT NULL,
	host_staff_ids      TEXT    NOT NULL, -- JSON array
	visitors            TEXT    NOT NULL, -- JSON array of {company, name, email}, empty ones left out
	party_size          INTEGER NOT NULL,
	title               TEXT    NOT NULL,
	room                TEXT    NOT NULL,
	starts_at           INTEGER NOT NULL,
	valid_from          INTEGER NOT NULL,
	valid_until         INTEGER NOT NULL,
	period              INTEGER NOT NULL,
	status              TEXT    NOT NULL,
	arrivals            INTEGER NOT NULL,
	arrived_at          INTEGER,
	last_visit_id       TEXT    NOT NULL,
	host_reminder_at    INTEGER,
	visitor_reminder_at INTEGER,
	-- The earlier reminder while scheduled (Appointment.ReminderDueAt),
	-- NULL otherwise: what ListDueAppointments looks up.
	reminder_due_at     INTEGER,
	created_by          TEXT    NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER,
	PRIMARY KEY (org_id, id)
) STRICT, WITHOUT ROWID;

-- The code check of CreateAppointment and FindAppointmentByCode.
CREATE INDEX appointments_org_code ON appointments (org_id, code, valid_until);

CREATE INDEX appointments_org_starts ON appointments (org_id, starts_at, id);

CREATE INDEX appointments_due ON appointments (reminder_due_at, org_id, id) WHERE reminder_due_at IS NOT NULL;
