-- 0007_appointments: appointments (issue 18), and the appointment a visit
-- checked in with (Visit.AppointmentID, '' when none). A constant default
-- makes the column addition a catalog change only.

ALTER TABLE visits ADD COLUMN appointment_id text COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX visits_org_appointment_idx ON visits (org_id, appointment_id) WHERE appointment_id <> '';

-- host_staff_ids and visitors are JSON text, as sqlitestore keeps them
-- (reception/internal/sqlschema): visitors' empty fields are left out, so
-- an erased visitor is {}.
CREATE TABLE appointments (
    org_id              text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                  text COLLATE "C" NOT NULL,
    code                text COLLATE "C" NOT NULL,
    host_staff_ids      text NOT NULL,
    visitors            text NOT NULL,
    party_size          integer NOT NULL,
    title               text NOT NULL,
    room                text NOT NULL,
    starts_at           timestamptz NOT NULL,
    valid_from          timestamptz NOT NULL,
    valid_until         timestamptz NOT NULL,
    period              boolean NOT NULL,
    status              text NOT NULL,
    arrivals            integer NOT NULL,
    arrived_at          timestamptz,
    last_visit_id       text COLLATE "C" NOT NULL,
    host_reminder_at    timestamptz,
    visitor_reminder_at timestamptz,
    -- The earlier reminder while scheduled (Appointment.ReminderDueAt),
    -- NULL otherwise: what ListDueAppointments looks up.
    reminder_due_at     timestamptz,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz,
    PRIMARY KEY (org_id, id)
);

-- The code check of CreateAppointment and FindAppointmentByCode.
CREATE INDEX appointments_org_code_idx ON appointments (org_id, code, valid_until);
-- ListAppointments: by start within an organization.
CREATE INDEX appointments_org_starts_idx ON appointments (org_id, starts_at, id);
-- ListDueAppointments.
CREATE INDEX appointments_due_idx ON appointments (reminder_due_at, org_id, id) WHERE reminder_due_at IS NOT NULL;
