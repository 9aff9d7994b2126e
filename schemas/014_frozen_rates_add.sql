-- A frozen month's rates never change, but a pair it lacks may be added: the issued invoice used no rate of
-- it (it had no charge in that currency), and a late charge in a new currency needs one for the month to be
-- aggregated again, and its adjustment to reach the next invoice.
CREATE OR REPLACE FUNCTION pb.refuse_frozen_rate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	m date := CASE TG_OP WHEN 'INSERT' THEN NEW.month ELSE OLD.month END;
BEGIN
	IF TG_OP <> 'INSERT' AND (EXISTS (SELECT 1 FROM pb.aggregate_run WHERE billing_month = m AND frozen)
		OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM pb.aggregate_run WHERE billing_month = NEW.month AND frozen))) THEN
		RAISE EXCEPTION 'the rates of % are frozen: the month''s invoice is issued', to_char(m, 'YYYY-MM');
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
