/* A small Partner Center client: an Entra ID token by client credentials, domain checks, customer creation. */
#ifndef PB_PARTNER_CENTER_H
#define PB_PARTNER_CENTER_H

#include "buf.h"

/* Where Partner Center is and who signs in: see pb_partner_center_init. */
struct pb_partner_center {
	char *login_url;     /* PB_PC_LOGIN_URL, else https://login.microsoftonline.com */
	char *api_url;	     /* PB_PC_API_URL, else https://api.partnercenter.microsoft.com */
	char *tenant;	     /* AZURE_TENANT_ID */
	char *client_id;     /* AZURE_CLIENT_ID */
	char *client_secret; /* AZURE_CLIENT_SECRET */
	long timeout;	     /* seconds one request may take, connecting included */
	char *token;	     /* "Authorization: Bearer ...", once fetched */
};

/*
 * Fills pc from the environment, with timeout seconds per request. Returns 0, or PB_ERR_USAGE
 * with a message naming the variables that are not set. Free with pb_partner_center_release.
 */
int pb_partner_center_init(struct pb_partner_center *pc, long timeout, struct pb_buf *err);
void pb_partner_center_release(struct pb_partner_center *pc);

/*
 * HEAD /v1/domains/DOMAIN: sets *taken to 1 when a customer has the domain, 0 when it is free. Fetches a
 * token first if need be. Returns 0 or PB_ERR_DEPENDENCY with a message.
 */
int pb_partner_center_domain_taken(struct pb_partner_center *pc, const char *domain, int *taken, struct pb_buf *err);

/*
 * POST /v1/customers with the JSON body (for domain) and MS-RequestId request_id (the same id again returns the
 * customer that request made). Server errors (5xx, 429) and failed connections are retried, up to 3
 * attempts in all, with the same id; a request that times out is not. Returns 0 with the new customer's
 * tenant id in tenant, in lowercase; PB_ERR_DATA when Partner Center refused the request (4xx other than 401,
 * 403, 408 and 429: nothing was created by this answer); or PB_ERR_DEPENDENCY when the outcome is unknown (an
 * answer without a customer id that is a GUID, or with the customer of another domain among them). The
 * message in err names the URL and what Partner Center said; *status is the answer's HTTP status (0: none).
 */
int pb_partner_center_create_customer(struct pb_partner_center *pc, const char *request_id, const char *body,
				      const char *domain, struct pb_buf *tenant, long *status, struct pb_buf *err);

/*
 * Looks for the partner's customer whose domain is domain (GET /v1/customers filtered by domain): 1 with its tenant
 * id in tenant, in lowercase; 0 when the partner has none; PB_ERR_DEPENDENCY with a message naming the URL.
 */
int pb_partner_center_find_customer(struct pb_partner_center *pc, const char *domain, struct pb_buf *tenant,
				    struct pb_buf *err);

#endif
