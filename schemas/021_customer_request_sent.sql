-- What create-azure-customer sent with each request to Partner Center: the body of POST /v1/customers, as the JSON
-- text sent, recorded with the request before it is sent. A pending request is sent again only as it was first
-- sent: a run that would send another body (the account's name or address changed since) sends nothing. NULL: a
-- request recorded before this column; the next run that sends it records what it sends.
ALTER TABLE pb.customer_creation_request ADD COLUMN sent text;
