-- 0002_kiosk_fallback: the text the kiosk shows a visitor while the
-- organization cannot deliver notifications (Organization.KioskFallback);
-- '' means the built-in default. A constant default makes the column
-- addition a catalog change only, with no table rewrite.

ALTER TABLE organizations ADD COLUMN kiosk_fallback text NOT NULL DEFAULT '';
