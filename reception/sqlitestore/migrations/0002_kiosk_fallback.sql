-- 0002_kiosk_fallback: the text the kiosk shows a visitor while the
-- organization cannot deliver notifications (Organization.KioskFallback);
-- '' means the built-in default.

ALTER TABLE organizations ADD COLUMN kiosk_fallback TEXT NOT NULL DEFAULT '';
