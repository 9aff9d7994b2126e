/* Creating an account's Azure customer in Partner Center, exactly once, and linking its tenant. */
#ifndef PB_CUSTOMER_H
#define PB_CUSTOMER_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligibility.h"

/*
 * Creates alias's Azure customer from its company profile, then links the new tenant for vendor azure
 * from day from, recording by. The request's MS-RequestId is generated and committed (a pending
 * pb.customer_creation_request row, with the body it sends) before anything is sent, and a run that finds a
 * pending request checks the domain, then sends that request again with the same id and the body recorded, so
 * Partner Center answers with the customer it made instead of making a second; a pending request whose account's
 * domain or profile (name, email, contact, address, billing country) is no longer what it sent is refused
 * (PB_ERR_REFUSED, naming each field), nothing sent. A run after success changes nothing (it links the tenant if
 * that had failed). timeout bounds each HTTP request, in seconds. Appends what was done to out, one line
 * each. Returns 0; PB_ERR_REFUSED (a rule: reasons has a line per failing rule, or err says why);
 * PB_ERR_DATA (no account, an incomplete profile, a domain in use, Partner Center refused);
 * PB_ERR_USAGE (credentials not set); PB_ERR_DEPENDENCY (the request stays pending).
 */
int pb_customer_create_azure(PGconn *conn, const struct pb_eligibility *e, const char *alias, int32_t from,
			     long timeout, const char *by, struct pb_buf *out, struct pb_buf *reasons,
			     struct pb_buf *err);

#endif
