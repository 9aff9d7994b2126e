-- pb-invoice --focus: the FOCUS dataset of an issued month is what the customer was given, as the invoice's
-- files are. The first one written after the issue is kept (its SHA-256, and that of the service categories it
-- was made with); one made later that is not those bytes is refused, never written over it. Never updated
-- nor deleted, like the invoice.
CREATE TABLE pb.invoice_focus (
	invoice_id bigint PRIMARY KEY REFERENCES pb.invoice (id),
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	categories text NOT NULL,
	categories_sha256 text NOT NULL CHECK (categories_sha256 ~ '^[0-9a-f]{64}$'),
	written_by text NOT NULL,
	written_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER invoice_focus_never_changes BEFORE UPDATE OR DELETE ON pb.invoice_focus
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_focus_no_truncate BEFORE TRUNCATE ON pb.invoice_focus
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_invoice_change();
