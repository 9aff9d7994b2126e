#!/usr/bin/env python3
"""pcserver: a loopback stand-in for Microsoft Entra ID, the Microsoft Graph partner billing export API, the
Azure Blob Storage it delivers to, and Partner Center customer management, for partnerbill's tests (stdlib
only). It listens on 127.0.0.1 only, exits on SIGTERM or SIGINT, and exits by itself after --max-seconds.

Usage:
  pcserver.py [--port N] [--config FILE] [--max-seconds S]

  --port 0 (the default) takes a free port. Once listening it prints one line to stdout:
  "pcserver listening on http://127.0.0.1:PORT". Every request is logged to stderr as one line,
  "pcserver: METHOD PATH STATUS" (the path without its query, so neither SAS signatures nor secrets show).
  --config FILE applies FILE's JSON as if POSTed to /_pc/config (relative "files" paths are taken relative to
  the folder of FILE).

The services, with the shapes of the documentation they follow (wording not from the docs is marked *):

Microsoft Entra ID, client credentials (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)
  POST /{tenant}/oauth2/v2.0/token   form grant_type=client_credentials, client_id, client_secret, scope
    200 {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"<JWT-shaped>"}
    The scope must be RESOURCE/.default; the token is for that resource (its audience): Graph endpoints take
    only https://graph.microsoft.com tokens, Partner Center ones only https://api.partnercenter.microsoft.com.
    Errors {"error","error_description","error_codes","timestamp","trace_id","correlation_id","error_uri"}:
    unknown tenant 400 invalid_request AADSTS90002; missing parameter 400 invalid_request AADSTS900144;
    other grant type 400 unsupported_grant_type AADSTS70003; unknown client id 400 unauthorized_client
    AADSTS700016; bad scope 400 invalid_scope AADSTS1002012; unknown resource 400 invalid_resource
    AADSTS500011; no secret 401 invalid_client AADSTS7000216; wrong secret 401 invalid_client AADSTS7000215.

Microsoft Graph partner billing (learn.microsoft.com/graph/api/partners-billing-unbilledusage-export,
  -billedusage-export, -operation-get, -manifest-get; learn.microsoft.com/partner-center/developer/
  get-billed-unbilled-usage-reconciliation)
  POST /v1.0/reports/partners/billing/usage/unbilled/export  {"currencyCode","billingPeriod":"current"|"last",
       "attributeSet":"full"|"basic" (optional)}
  POST /v1.0/reports/partners/billing/usage/billed/export    {"invoiceId","attributeSet" (optional)}
    202, empty body, Location: http://127.0.0.1:PORT/v1.0/reports/partners/billing/operations/{uuid},
    Retry-After. A bad body gets 400 {"error":{"code":"BadRequest","message":...*}}; the first
    export.throttle_first_post POSTs get 429 TooManyRequests with Retry-After (the Graph throttling body).
  GET /v1.0/reports/partners/billing/operations/{id}
    200 "#microsoft.graph.partners.billing.runningOperation" status notStarted (first poll) then running, with
    Retry-After, for export.polls_running polls; then either "#...exportSuccessOperation" status succeeded
    with the manifest inline as "resourceLocation" (and "resourceLocation@odata.navigationLink"), or
    "#...failedOperation" status failed with "error":{"code","message"}.
  GET /v1.0/reports/partners/billing/manifests/{id}   the manifest alone.
    Manifest: id, createdDateTime, schemaVersion "2", dataFormat "compressedJSON", partitionType "default",
    eTag, partnerTenantId, rootDirectory http://127.0.0.1:PORT/blob/..., sasToken, blobCount,
    blobs [{name, partitionValue "default"}]. The eTag is export.etag, else derived from the files' bytes
    (the same files give the same eTag).
  Missing, unknown, expired or wrong-audience tokens get 401 {"error":{"code":"InvalidAuthenticationToken",
  "message":...}}. Graph errors carry "innerError":{"date","request-id","client-request-id"}.

Azure Blob Storage behind the manifest (a directory SAS, as in the manifest-get example):
  GET|HEAD /blob/{rootDirectory path}/{blob name}?{sasToken}
    sasToken = skoid=..&sktid=..&skt=..&ske=..&sks=b&skv=2023-11-03&sv=2023-11-03&se=<expiry, %3A-encoded>
               &sr=d&sp=rl&sdd=N&sig=<base64 HMAC, percent-encoded; always holds %2B, %2F and %3D>
    The query is percent-decoded ("+" is a space) and must match what was issued, for this directory.
    200 with Content-Length, Content-MD5, ETag "0x8D...", Last-Modified, x-ms-blob-type; a single byte
    Range gets 206. Errors are Azure Storage XML (a UTF-8 BOM, then <?xml ...?><Error><Code>..., with
    x-ms-error-code and the message as the reason phrase): no SAS 404 ResourceNotFound; a signature that does
    not match 403 AuthenticationFailed "Signature did not match..."; an expired SAS (export.sas_expired)
    403 AuthenticationFailed "Signed expiry time [...] must be after signed start time [...]"; no such blob
    404 BlobNotFound.

Partner Center customers (learn.microsoft.com/partner-center/developer/create-a-customer, get-a-customer-by-id,
  get-a-list-of-customers, verify-domain-availability, error-codes)
  POST /v1/customers   {companyProfile{domain,...}, billingProfile{email, culture, language, companyName,
       defaultAddress{country, city, state, addressLine1, postalCode, firstName, lastName, phoneNumber}}}
       (property names in any case: the .NET SDK sends PascalCase)
    201 the customer (id = tenantId = commerceId, a new uuid; relationshipToPartner "reseller";
    userCredentials; attributes.objectType "Customer"), echoing MS-RequestId and MS-CorrelationId.
    Idempotent on MS-RequestId: the same id again returns the customer it created (201), never a second one.
    A domain another request created gets 409. Errors are {"code":N,"description":...,"data":[],
    "source":"PartnerFD"} (the documented shape; the numbers are *: 2000 bad request, 3000 not found,
    2001 domain in use, 401 unauthorized).
  GET /v1/customers/{id}   200 the customer (no userCredentials) or 404.
  GET /v1/customers?size=N   {"totalCount","items","links","attributes":{"objectType":"Collection"}}; when
    more remain, "continuationToken" and links.next (send it back as the MS-ContinuationToken header).
    &filter={"Field":"Domain"|"CompanyName","Value":V,"Operator":"starts_with"} (URL-encoded JSON; the field
    name in any case, the value compared case-insensitively: get-a-customer-by-name) lists only the customers
    whose domain or company name starts with V; any other filter gets 400 (code 2000).
  HEAD /v1/domains/{domain}   200 when a customer has the domain (it is taken), 404 when it is free.

Control (test-only, no authentication), JSON in and out:
  POST /_pc/config      merges an object into the configuration and answers with it (secrets masked):
    {"credentials": {"tenant","client_id","client_secret"} or a list of them (replaces the list),
     "token_lifetime": 3599,
     "check_audience": true,
     "token_nul_header": false,  true: the token answer holds a header line with a NUL byte (which libcurl refuses)
     "export": {"polls_running": 0,        polls answered notStarted/running before the outcome
                "retry_after": 1,          Retry-After (seconds) on the 202 and on unfinished polls
                "fail": false,             true ({"code":"5000","message":"No data available"}) or {code,message}
                "throttle_first_post": 0,  the next N export POSTs get 429 (counted from when this is set)
                "throttle_retry_after": 1, their Retry-After
                "throttle_date_offset": null, an integer: their Date is that many seconds off the server's clock
                                           (negative: behind), their Retry-After the HTTP-date throttle_retry_after
                                           seconds after that Date
                "sas_expired": false,      issue the SAS with se an hour in the past
                "sas_ttl_seconds": 3600,
                "files": [],               paths of the blobs to serve (.json.gz, served as they are)
                "blob_names": null,        their names (default part-00001.json.gz, part-00002.json.gz, ...)
                "etag": null,              the manifest eTag (default: derived from the files' bytes)
                "blob_count": null,        the manifest's blobCount (default: the number of files)
                "root_directory": null,    the manifest's rootDirectory (default: this server's blob folder)
                "operation_base": null,    the scheme, host and port of the operation's Location (default:
                                           this server's, http://127.0.0.1:PORT)
                "manifest_base": null,     likewise of the manifest's link (resourceLocation@odata.navigationLink)
                "manifest_inline": true,   false: a finished operation links its manifest only
                                           (resourceLocation@odata.navigationLink), as Graph v1.0's example
                "partner_tenant_id": "..."},
     "customers": {"create_delay_seconds": 0,    the next create creates, then waits this long to answer
                   "create_hold_file": null,     the next create creates, then answers once this file exists
                                                 (60 s at most): a test holds it for as long as it needs
                   "fail_next_create_status": 0, the next create gets this status and creates nothing
                   "fail_create_code": null,     the code of that answer instead of the number (a string, as
                                                 some of Partner Center's answers have it)
                   "create_answer_body": null,   the next create creates, then answers 201 with this text as
                                                 its body instead of the customer (an answer damaged on its way)
                   "uppercase_ids": false,       new customers' ids in capitals (GUIDs are not case-sensitive)
                   "forget_requests": false,     true: creates no longer know the MS-RequestIds seen before (*as
                                                 if their idempotency had lapsed): a create sent again for the
                                                 domain its first sending created gets 409, domain in use
                   "conflict_description": null, the description of that 409 (and of any create for a domain
                                                 in use) instead of Partner Center's
                   "seed": [{"domain","companyName","id"?}]}}   customers that exist already
    An export setting applies to the exports POSTed after it. Unknown keys get 400.
  GET  /_pc/config       the configuration (secrets masked)
  GET  /_pc/stats        {"token_requests","tokens_issued","export_posts","throttled_posts","polls",
                          "manifest_gets","blob_gets","blob_auth_failures","customer_posts",
                          "customers_created","customer_gets","domain_checks"}
  POST /_pc/stats/reset  zeroes the counters and the request journal
  GET  /_pc/requests     {"requests":[{"t","method","path","status"}]}: every non-control request, t in seconds
                         since the server started (to check that Retry-After was waited for)
  GET  /_pc/operations   {"operations":[{"id","kind","request","status","polls","poll_times","poll_statuses",
                          "manifest","error"}]}: every export, oldest first
  POST /_pc/reset        back to the start: configuration, tokens, operations, customers, counters
"""

import argparse
import base64
import copy
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler

from loopback import Server, serve

GRAPH_AUD = "https://graph.microsoft.com"
PC_AUD = "https://api.partnercenter.microsoft.com"
RESOURCES = {GRAPH_AUD: GRAPH_AUD, PC_AUD: PC_AUD, "00000003-0000-0000-c000-000000000000": GRAPH_AUD}
SAS_VERSION = "2023-11-03"
BILLING = "/v1.0/reports/partners/billing"
AUTH_REASON = ("Server failed to authenticate the request. Make sure the value of Authorization header is formed "
               "correctly including the signature.")
STATS = ("token_requests", "tokens_issued", "export_posts", "throttled_posts", "polls", "manifest_gets",
         "blob_gets", "blob_auth_failures", "customer_posts", "customers_created", "customer_gets",
         "domain_checks")
DEFAULT_FAIL = {"code": "5000", "message": "No data available"}
BLOB_SERVER = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


class ConfigError(Exception):
    pass


def default_config():
    return {
        "credentials": [],
        "token_lifetime": 3599,
        "check_audience": True,
        "token_nul_header": False,
        "export": {
            "polls_running": 0,
            "retry_after": 1,
            "fail": False,
            "throttle_first_post": 0,
            "throttle_retry_after": 1,
            "throttle_date_offset": None,
            "sas_expired": False,
            "manifest_inline": True,
            "sas_ttl_seconds": 3600,
            "files": [],
            "blob_names": None,
            "etag": None,
            "blob_count": None,
            "root_directory": None,
            "operation_base": None,
            "manifest_base": None,
            "partner_tenant_id": "3f0c6a57-2d4e-4b1a-9c8d-7e6f5a4b3c2d",
        },
        "customers": {"create_delay_seconds": 0, "create_hold_file": None, "fail_next_create_status": 0,
                      "fail_create_code": None, "conflict_description": None,
                      "create_answer_body": None, "uppercase_ids": False, "forget_requests": False},
    }


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def iso_z(t, frac=0):
    """2026-11-25T11:48:28Z, or with frac fractional digits (7 as .NET writes them)."""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        s += ("%.7f" % (t.microsecond / 1e6))[1:2 + frac]
    return s + "Z"


def rfc1123(t):
    return email.utils.format_datetime(t.astimezone(datetime.timezone.utc), usegmt=True)


def entra_time(t):
    return t.strftime("%Y-%m-%d %H:%M:%SZ")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def want_int(v, name, lo=0):
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ConfigError(f"{name}: want an integer >= {lo}")
    return v


def want_num(v, name):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ConfigError(f"{name}: want a number >= 0")
    return v


class Op:
    def __init__(self, kind, request, cfg, params):
        self.id = str(uuid.uuid4())
        self.kind = kind
        self.request = request
        self.cfg = cfg  # a copy of the export configuration when it was POSTed
        self.params = params
        self.created = now_utc()
        self.last_action = self.created
        self.polls = 0
        self.poll_times = []
        self.poll_statuses = []
        self.manifest = None
        self.status = "notStarted"


class State:
    def __init__(self, base_config):
        self.lock = threading.Lock()
        self.base_config = base_config
        self.started = time.monotonic()
        self.key = secrets.token_bytes(32)
        self.base_customers = []  # seeded by --config: they survive /_pc/reset
        self.reset()

    def reset(self):
        self.config = copy.deepcopy(self.base_config)
        self.tokens = {}
        self.ops = {}
        self.op_order = []
        self.manifests = {}
        self.grants = {}  # sig (decoded) -> grant
        self.blobs = {}  # URL path -> (op, file path)
        self.customers = []
        self.by_id = {}
        self.by_request = {}
        self.by_domain = {}
        for c in self.base_customers:
            self._add_customer(copy.deepcopy(c))
        self.throttled = 0
        self.create_delay = self.config["customers"]["create_delay_seconds"]
        self.create_hold = self.config["customers"]["create_hold_file"]
        self.fail_next = self.config["customers"]["fail_next_create_status"]
        self.answer_body = self.config["customers"]["create_answer_body"]
        self.reset_stats()

    def reset_stats(self):
        self.stats = {k: 0 for k in STATS}
        self.journal = []

    def count(self, name, n=1):
        with self.lock:
            self.stats[name] += n

    # -- configuration ----------------------------------------------------------------------------------------

    def apply_config(self, obj, base_dir):
        """Validates obj fully, then merges it. Raises ConfigError."""
        if not isinstance(obj, dict):
            raise ConfigError("the configuration must be a JSON object")
        new = copy.deepcopy(self.config)
        seeds = []
        for key, val in obj.items():
            if key == "credentials":
                creds = val if isinstance(val, list) else [val]
                out = []
                for c in creds:
                    if not isinstance(c, dict) or set(c) != {"tenant", "client_id", "client_secret"} or \
                            not all(isinstance(c[k], str) and c[k] for k in c):
                        raise ConfigError("credentials: want {\"tenant\",\"client_id\",\"client_secret\"} "
                                          "(non-empty strings) or a list of them")
                    out.append(dict(c))
                new["credentials"] = out
            elif key == "token_lifetime":
                new[key] = want_int(val, key, 1)
            elif key in ("check_audience", "token_nul_header"):
                if not isinstance(val, bool):
                    raise ConfigError(f"{key}: want true or false")
                new[key] = val
            elif key == "export":
                if not isinstance(val, dict):
                    raise ConfigError("export: want an object")
                for k, v in val.items():
                    new["export"][k] = self._export_value(k, v, base_dir)
                names, files = new["export"]["blob_names"], new["export"]["files"]
                if names is not None and len(names) != len(files):
                    raise ConfigError("export.blob_names: want one name per file")
            elif key == "customers":
                if not isinstance(val, dict):
                    raise ConfigError("customers: want an object")
                for k, v in val.items():
                    if k == "create_delay_seconds":
                        new["customers"][k] = want_num(v, "customers." + k)
                    elif k == "create_hold_file":
                        if v is not None and (not isinstance(v, str) or not v):
                            raise ConfigError("customers.create_hold_file: want a path or null")
                        new["customers"][k] = v
                    elif k == "fail_next_create_status":
                        v = want_int(v, "customers." + k)
                        if v and not 400 <= v <= 599:
                            raise ConfigError("customers.fail_next_create_status: want 0 or 400-599")
                        new["customers"][k] = v
                    elif k in ("fail_create_code", "conflict_description"):
                        if v is not None and not isinstance(v, str):
                            raise ConfigError(f"customers.{k}: want a string or null")
                        new["customers"][k] = v
                    elif k == "create_answer_body":
                        if v is not None and not isinstance(v, str):
                            raise ConfigError("customers.create_answer_body: want a string or null")
                        new["customers"][k] = v
                    elif k in ("uppercase_ids", "forget_requests"):
                        if not isinstance(v, bool):
                            raise ConfigError(f"customers.{k}: want true or false")
                        new["customers"][k] = v
                    elif k == "seed":
                        if not isinstance(v, list):
                            raise ConfigError("customers.seed: want a list")
                        for s in v:
                            if not isinstance(s, dict) or not isinstance(s.get("domain"), str) or \
                                    not set(s) <= {"domain", "companyName", "id"}:
                                raise ConfigError("customers.seed: want [{\"domain\",\"companyName\",\"id\"}]")
                            seeds.append(s)
                    else:
                        raise ConfigError(f"customers.{k}: unknown setting")
            else:
                raise ConfigError(f"{key}: unknown setting")
        with self.lock:
            if "throttle_first_post" in obj.get("export", {}):
                self.throttled = 0
            if "customers" in obj:
                c = obj["customers"]
                if "create_delay_seconds" in c:
                    self.create_delay = new["customers"]["create_delay_seconds"]
                if "create_hold_file" in c:
                    self.create_hold = new["customers"]["create_hold_file"]
                if "fail_next_create_status" in c:
                    self.fail_next = new["customers"]["fail_next_create_status"]
                if "create_answer_body" in c:
                    self.answer_body = new["customers"]["create_answer_body"]
            self.config = new
            for s in seeds:
                dom = s["domain"].lower()
                if dom not in self.by_domain:
                    self._add_customer(new_customer({"companyprofile": {"domain": dom, "companyname":
                                                     s.get("companyName", "")}}, s.get("id")))

    def _export_value(self, k, v, base_dir):
        name = "export." + k
        if k in ("polls_running", "throttle_first_post"):
            return want_int(v, name)
        if k in ("retry_after", "throttle_retry_after"):
            return want_int(v, name)
        if k == "throttle_date_offset":
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise ConfigError(f"{name}: want null or an integer")
            return v
        if k == "sas_ttl_seconds":
            return want_int(v, name, 1)
        if k == "blob_count":
            return None if v is None else want_int(v, name)
        if k == "manifest_inline":
            if not isinstance(v, bool):
                raise ConfigError(f"{name}: want true or false")
            return v
        if k == "sas_expired":
            if not isinstance(v, bool):
                raise ConfigError(f"{name}: want true or false")
            return v
        if k == "fail":
            if isinstance(v, bool):
                return v
            if isinstance(v, dict) and set(v) == {"code", "message"} and all(isinstance(x, str) for x in v.values()):
                return dict(v)
            raise ConfigError(f"{name}: want true, false or {{\"code\",\"message\"}} (strings)")
        if k == "files":
            if not isinstance(v, list) or not all(isinstance(p, str) for p in v):
                raise ConfigError(f"{name}: want a list of paths")
            out = []
            for p in v:
                full = os.path.realpath(os.path.join(base_dir, p))
                if not os.path.isfile(full):
                    raise ConfigError(f"{name}: no file {p}")
                out.append(full)
            return out
        if k == "blob_names":
            if v is None:
                return None
            if not isinstance(v, list) or not all(isinstance(n, str) and re.fullmatch(r"[A-Za-z0-9._-]+", n)
                                                  for n in v):
                raise ConfigError(f"{name}: want a list of plain file names")
            return list(v)
        if k in ("etag", "partner_tenant_id", "root_directory", "operation_base", "manifest_base"):
            if v is not None and (not isinstance(v, str) or not v):
                raise ConfigError(f"{name}: want a non-empty string")
            if k == "partner_tenant_id" and v is None:
                raise ConfigError(f"{name}: want a non-empty string")
            return v
        raise ConfigError(f"{name}: unknown setting")

    def masked_config(self):
        with self.lock:
            c = copy.deepcopy(self.config)
            c["customers"]["create_delay_seconds"] = self.create_delay
            c["customers"]["create_hold_file"] = self.create_hold
            c["customers"]["fail_next_create_status"] = self.fail_next
            c["customers"]["create_answer_body"] = self.answer_body
        for cred in c["credentials"]:
            cred["client_secret"] = "***"
        return c

    # -- customers --------------------------------------------------------------------------------------------

    def _add_customer(self, cust):
        self.customers.append(cust)
        self.by_id[cust["id"]] = cust
        self.by_domain[cust["companyProfile"]["domain"].lower()] = cust


def ci_get(obj, *path):
    """obj[path...] with keys matched case-insensitively; None when absent."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        found = None
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() == key:
                found = v
                break
        obj = found
    return obj


def new_customer(body, cid=None):
    cid = cid or str(uuid.uuid4())
    dom = (ci_get(body, "companyprofile", "domain") or "").lower()
    bp = ci_get(body, "billingprofile") or {}
    company = ci_get(body, "companyprofile", "companyname") or ci_get(bp, "companyname") or ""
    cust = {
        "id": cid,
        "commerceId": cid,
        "companyProfile": {
            "tenantId": cid,
            "domain": dom,
            "companyName": company,
            "links": {"self": {"uri": f"/customers/{cid}/profiles/company", "method": "GET", "headers": []}},
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": True,
        "links": {"self": {"uri": f"/customers/{cid}", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Customer"},
    }
    if bp:
        addr = ci_get(bp, "defaultaddress") or {}
        address = {}
        for k in ("country", "region", "city", "state", "addressLine1", "addressLine2", "postalCode", "firstName",
                  "lastName", "phoneNumber"):
            v = ci_get(addr, k.lower())
            if v is not None:
                address[k] = v
        cust["billingProfile"] = {
            "id": str(uuid.uuid4()),
            "email": ci_get(bp, "email"),
            "culture": ci_get(bp, "culture"),
            "language": ci_get(bp, "language"),
            "companyName": ci_get(bp, "companyname"),
            "defaultAddress": address,
            "links": {"self": {"uri": f"/customers/{cid}/profiles/billing", "method": "GET", "headers": []}},
            "attributes": {"etag": str(-secrets.randbelow(2 ** 63)), "objectType": "CustomerBillingProfile"},
        }
        cust["userCredentials"] = {"userName": "admin", "password": secrets.token_urlsafe(9)}
    return cust


def public_customer(cust):
    c = copy.deepcopy(cust)
    c.pop("userCredentials", None)
    return c


CUSTOMER_REQUIRED = (
    (("companyprofile", "domain"), "CompanyProfile.Domain"),
    (("billingprofile", "email"), "BillingProfile.Email"),
    (("billingprofile", "culture"), "BillingProfile.Culture"),
    (("billingprofile", "language"), "BillingProfile.Language"),
    (("billingprofile", "companyname"), "BillingProfile.CompanyName"),
    (("billingprofile", "defaultaddress", "country"), "BillingProfile.DefaultAddress.Country"),
    (("billingprofile", "defaultaddress", "city"), "BillingProfile.DefaultAddress.City"),
    (("billingprofile", "defaultaddress", "addressline1"), "BillingProfile.DefaultAddress.AddressLine1"),
    (("billingprofile", "defaultaddress", "postalcode"), "BillingProfile.DefaultAddress.PostalCode"),
    (("billingprofile", "defaultaddress", "firstname"), "BillingProfile.DefaultAddress.FirstName"),
    (("billingprofile", "defaultaddress", "lastname"), "BillingProfile.DefaultAddress.LastName"),
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pcserver"
    sys_version = ""
    timeout = 120

    def log_message(self, fmt, *args):  # our own one line per request instead
        pass

    def version_string(self):
        return getattr(self, "_server_name", None) or "pcserver"

    def date_time_string(self, timestamp=None):
        # The Date of an answer: the server's clock, or that clock off by _date_offset seconds (one answer's).
        if timestamp is None:
            timestamp = time.time() + getattr(self, "_date_offset", 0)
            self._date_offset = 0
        return super().date_time_string(timestamp)

    def do_GET(self):
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _handle(self):
        st = self.server.state
        self._status = "-"
        path, _, query = self.path.partition("?")
        self._path, self._query = path, query
        try:
            self._body = self._read_body()
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._status = f"{self._status} (client gone)"
        except Exception as e:  # a bug here: say so, and answer 500 if nothing went out yet
            print(f"pcserver: internal error on {self.command} {path}: {e!r}", file=sys.stderr, flush=True)
            if self._status == "-":
                try:
                    self._send(500, b"internal error\n", "text/plain")
                except OSError:
                    pass
        print(f"pcserver: {self.command} {path} {self._status}", file=sys.stderr, flush=True)
        if not path.startswith("/_pc/"):
            with st.lock:
                st.journal.append({"t": round(time.monotonic() - st.started, 3), "method": self.command,
                                   "path": path, "status": self._status})

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(out)
                out.append(self.rfile.read(size))
                self.rfile.readline(3)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status, body=b"", ctype=None, headers=(), reason=None, server=None):
        """Sends a whole response; Server (default pcserver) and Date come from send_response."""
        self._status = status
        self._server_name = server
        self.send_response(status, reason)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status, obj, headers=(), ctype="application/json"):
        self._send(status, json.dumps(obj, indent=2).encode() + b"\n", ctype, headers)

    def _route(self):
        p, m = self._path, self.command
        if p.startswith("/_pc/"):
            return self._control(p, m)
        if re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", p):
            return self._token() if m == "POST" else self._not_allowed("POST")
        if p.startswith("/v1.0/"):
            return self._graph(p, m)
        if p.startswith("/blob/"):
            return self._blob(p, m) if m in ("GET", "HEAD") else self._not_allowed("GET, HEAD")
        if p == "/v1/customers" or p.startswith("/v1/customers/") or p.startswith("/v1/domains/"):
            return self._partner_center(p, m)
        self._send(404, b"pcserver: no such endpoint\n", "text/plain")

    def _not_allowed(self, allow):
        self._send(405, b"method not allowed\n", "text/plain", [("Allow", allow)])

    # -- control ----------------------------------------------------------------------------------------------

    def _control(self, p, m):
        st = self.server.state
        if p == "/_pc/config" and m == "POST":
            try:
                obj = json.loads(self._body.decode("utf-8") or "null")
                st.apply_config(obj, os.getcwd())
            except (ValueError, ConfigError) as e:
                return self._json(400, {"error": str(e)})
            return self._json(200, st.masked_config())
        if p == "/_pc/config" and m == "GET":
            return self._json(200, st.masked_config())
        if p == "/_pc/stats" and m == "GET":
            with st.lock:
                return self._json(200, dict(st.stats))
        if p == "/_pc/stats/reset" and m == "POST":
            with st.lock:
                st.reset_stats()
            return self._json(200, {"reset": True})
        if p == "/_pc/requests" and m == "GET":
            with st.lock:
                return self._json(200, {"requests": list(st.journal)})
        if p == "/_pc/operations" and m == "GET":
            with st.lock:
                ops = [st.ops[i] for i in st.op_order]
                out = [{"id": o.id, "kind": o.kind, "request": o.request, "status": o.status, "polls": o.polls,
                        "poll_times": o.poll_times, "poll_statuses": o.poll_statuses, "manifest": o.manifest,
                        "error": self._op_error(o) if o.status == "failed" else None} for o in ops]
            return self._json(200, {"operations": out})
        if p == "/_pc/reset" and m == "POST":
            with st.lock:
                st.reset()
            return self._json(200, {"reset": True})
        self._send(404, b"pcserver: no such control endpoint\n", "text/plain")

    # -- Microsoft Entra ID -----------------------------------------------------------------------------------

    def _entra_error(self, status, error, code, desc):
        t = now_utc()
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        body = {
            "error": error,
            "error_description": f"AADSTS{code}: {desc}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\n"
                                 f"Timestamp: {entra_time(t)}",
            "error_codes": [code],
            "timestamp": entra_time(t),
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }
        self._json(status, body, [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"),
                                  ("x-ms-request-id", trace)], "application/json; charset=utf-8")

    def _token(self):
        st = self.server.state
        st.count("token_requests")
        tenant = self._path.split("/")[1]
        form = dict(urllib.parse.parse_qsl(self._body.decode("utf-8", "replace"), keep_blank_values=True))
        with st.lock:
            creds = [c for c in st.config["credentials"] if c["tenant"].lower() == tenant.lower()]
            lifetime = st.config["token_lifetime"]
        if not creds:
            return self._entra_error(400, "invalid_request", 90002,
                                     f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                     "and are signing into the correct cloud. Check with your subscription "
                                     "administrator, this may happen if there are no active subscriptions for the "
                                     "tenant.")
        for name in ("grant_type", "client_id", "scope"):
            if not form.get(name):
                return self._entra_error(400, "invalid_request", 900144,
                                         f"The request body must contain the following parameter: '{name}'.")
            if name == "grant_type" and form[name] != "client_credentials":
                return self._entra_error(400, "unsupported_grant_type", 70003,
                                         f"The app requested an unsupported grant type '{form[name]}'.")
            if name == "client_id":
                cred = next((c for c in creds if c["client_id"] == form["client_id"]), None)
                if cred is None:
                    return self._entra_error(400, "unauthorized_client", 700016,
                                             f"Application with identifier '{form['client_id']}' was not found in "
                                             f"the directory '{tenant}'. This can happen if the application has "
                                             "not been installed by the administrator of the tenant or consented "
                                             "to by any user in the tenant. You may have sent your authentication "
                                             "request to the wrong tenant.")
        scope = form["scope"]
        if " " in scope.strip() or not scope.endswith("/.default"):
            return self._entra_error(400, "invalid_scope", 1002012,
                                     f"The provided value for scope {scope} is not valid. Client credential flows "
                                     "must have a scope value with /.default suffixed to the resource identifier "
                                     "(application ID URI).")
        resource = scope[: -len("/.default")]
        aud = RESOURCES.get(resource.rstrip("/"))
        if aud is None:
            return self._entra_error(400, "invalid_resource", 500011,
                                     f"The resource principal named {resource} was not found in the tenant named "
                                     f"{tenant}. This can happen if the application has not been installed by the "
                                     "administrator of the tenant or consented to by any user in the tenant. You "
                                     "might have sent your authentication request to the wrong tenant.")
        if "client_secret" not in form or form["client_secret"] == "":
            return self._entra_error(401, "invalid_client", 7000216,
                                     "'client_assertion', 'client_secret' or 'request' is required for the "
                                     "'client_credentials' grant type.")
        if not hmac.compare_digest(form["client_secret"].encode(), cred["client_secret"].encode()):
            return self._entra_error(401, "invalid_client", 7000215,
                                     "Invalid client secret provided. Ensure the secret being sent in the request "
                                     "is the client secret value, not the client secret ID, for a secret added to "
                                     f"app '{cred['client_id']}'.")
        exp = time.time() + lifetime
        header = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "pcserver"}).encode())
        payload = b64url(json.dumps({"aud": aud, "iss": f"https://sts.windows.net/{tenant}/", "tid": tenant,
                                     "appid": cred["client_id"], "exp": int(exp),
                                     "jti": secrets.token_hex(8)}).encode())
        token = f"{header}.{payload}.{b64url(secrets.token_bytes(64))}"
        with st.lock:
            st.tokens[token] = {"aud": aud, "exp": exp, "tenant": tenant}
            st.stats["tokens_issued"] += 1
            nul = st.config["token_nul_header"]
        extra = [("X-Fault", "a\0")] if nul else []
        self._json(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                         "access_token": token},
                   [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"),
                    ("x-ms-request-id", str(uuid.uuid4()))] + extra, "application/json; charset=utf-8")

    def _check_token(self, aud):
        """None when the bearer token is good for aud, else a message saying why not."""
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return "Access token is empty."
        token = auth[7:].strip()
        if "." not in token:
            return "IDX14100: JWT is not well formed, there are no dots (.)."
        with st.lock:
            rec = st.tokens.get(token)
            check_aud = st.config["check_audience"]
        if rec is None:
            return "Access token validation failure. Invalid signature."
        if time.time() >= rec["exp"]:
            return "Lifetime validation failed, the token is expired."
        if check_aud and rec["aud"] != aud:
            return "Access token validation failure. Invalid audience."
        return None

    # -- Microsoft Graph --------------------------------------------------------------------------------------

    def _graph_error(self, status, code, message, headers=(), inner_extra=None):
        rid = str(uuid.uuid4())
        inner = {"date": iso_z(now_utc())[:-1], "request-id": rid,
                 "client-request-id": self.headers.get("client-request-id", rid)}
        if inner_extra:
            inner.update(inner_extra)
        self._json(status, {"error": {"code": code, "message": message, "innerError": inner}},
                   [("request-id", rid), ("client-request-id", inner["client-request-id"])] + list(headers),
                   GRAPH_JSON)

    def _graph_headers(self):
        rid = str(uuid.uuid4())
        return [("request-id", rid), ("client-request-id", self.headers.get("client-request-id", rid))]

    def _base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _graph(self, p, m):
        st = self.server.state
        export = re.fullmatch(BILLING + r"/usage/(unbilled|billed)/export", p)
        op_m = re.fullmatch(BILLING + r"/operations/([^/]+)", p)
        man_m = re.fullmatch(BILLING + r"/manifests/([^/]+)", p)
        if export:
            if m != "POST":
                return self._graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the "
                                         "request target.", [("Allow", "POST")])
            st.count("export_posts")
        elif op_m or man_m:
            if m != "GET":
                return self._graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the "
                                         "request target.", [("Allow", "GET")])
            st.count("polls" if op_m else "manifest_gets")
        else:
            return self._graph_error(400, "BadRequest", f"Resource not found for the segment "
                                     f"'{p.rstrip('/').rsplit('/', 1)[-1]}'.")
        why = self._check_token(GRAPH_AUD)
        if why:
            return self._graph_error(401, "InvalidAuthenticationToken", why, [
                ("WWW-Authenticate", 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                 'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"')])
        if export:
            return self._export(export.group(1))
        if op_m:
            return self._poll(op_m.group(1))
        with st.lock:
            man = st.manifests.get(man_m.group(1))
        if man is None:
            return self._graph_error(404, "ResourceNotFound", f"The manifest '{man_m.group(1)}' was not found.")
        self._json(200, dict({"@odata.context": f"{self._base()}/v1.0/$metadata#reports/partners/billing/"
                              "manifests/$entity"}, **man), self._graph_headers(), GRAPH_JSON)

    def _export(self, kind):
        st = self.server.state
        with st.lock:
            cfg = copy.deepcopy(st.config["export"])
            throttle = st.throttled < cfg["throttle_first_post"]
            if throttle:
                st.throttled += 1
                st.stats["throttled_posts"] += 1
        if throttle and cfg["throttle_date_offset"] is not None:
            date = int(time.time()) + cfg["throttle_date_offset"]
            self._date_offset = cfg["throttle_date_offset"]  # the Date send_response writes
            ra = self.date_time_string(date + cfg["throttle_retry_after"])
            return self._graph_error(429, "TooManyRequests", "Please retry again later.", [("Retry-After", ra)],
                                     {"code": "429", "message": "Please retry after", "status": "429"})
        if throttle:
            ra = str(cfg["throttle_retry_after"])
            return self._graph_error(429, "TooManyRequests", "Please retry again later.", [("Retry-After", ra)],
                                     {"code": "429", "message": "Please retry after", "status": "429"})
        bad_json = ("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is "
                    "of valid JSON format.")
        try:
            body = json.loads(self._body.decode("utf-8"))
        except ValueError:
            return self._graph_error(400, "BadRequest", bad_json)
        if not isinstance(body, dict) or "json" not in self.headers.get("Content-Type", "").lower():
            return self._graph_error(400, "BadRequest", bad_json)
        allowed = {"unbilled": ("currencyCode", "billingPeriod", "attributeSet"),
                   "billed": ("invoiceId", "attributeSet")}[kind]
        for k in body:
            if k not in allowed:
                return self._graph_error(400, "BadRequest", f"The parameter '{k}' in the request payload is not a "
                                         "valid parameter for the operation 'export'.")
        for k in allowed:
            if k == "attributeSet":
                continue
            if k not in body or body[k] is None or body[k] == "":
                return self._graph_error(400, "BadRequest", f"The parameter '{k}' is required for the operation "
                                         "'export'.")
            if not isinstance(body[k], str):
                return self._graph_error(400, "BadRequest", f"Cannot convert the literal '{json.dumps(body[k])}' "
                                         "to the expected type 'Edm.String'.")
        attr = body.get("attributeSet", "full")
        enums = {"attributeSet": ("full", "basic"), "billingPeriod": ("current", "last")}
        for k, values in enums.items():
            v = attr if k == "attributeSet" else body.get(k)
            if k in allowed and v not in values:
                return self._graph_error(400, "BadRequest", f"Cannot convert the literal '{v}' to the expected type "
                                         f"'microsoft.graph.partners.billing.{k}'.")
        if kind == "unbilled" and not re.fullmatch(r"[A-Z]{3}", body["currencyCode"]):
            return self._graph_error(400, "BadRequest", f"Invalid currencyCode '{body['currencyCode']}'.")
        if kind == "billed" and not re.fullmatch(r"[A-Za-z0-9]{1,32}", body["invoiceId"]):
            return self._graph_error(400, "BadRequest", f"Invalid invoiceId '{body['invoiceId']}'.")
        op = Op(kind, body, cfg, {"attributeSet": attr})
        with st.lock:
            st.ops[op.id] = op
            st.op_order.append(op.id)
        location = f"{cfg['operation_base'] or self._base()}{BILLING}/operations/{op.id}"
        self._send(202, b"", None, [("Location", location),
                                    ("Retry-After", str(cfg["retry_after"]))] + self._graph_headers())

    @staticmethod
    def _op_error(op):
        f = op.cfg["fail"]
        return dict(f) if isinstance(f, dict) else dict(DEFAULT_FAIL)

    def _poll(self, op_id):
        st = self.server.state
        with st.lock:
            op = st.ops.get(op_id)
            if op is not None:
                op.polls += 1
                op.poll_times.append(round(time.monotonic() - st.started, 3))
                op.last_action = now_utc()
                if op.polls <= op.cfg["polls_running"]:
                    op.status = "notStarted" if op.polls == 1 else "running"
                elif op.cfg["fail"]:
                    op.status = "failed"
                else:
                    op.status = "succeeded"
                    if op.manifest is None:
                        op.manifest = self._make_manifest(op)
                        st.manifests[op.manifest["id"]] = op.manifest
                op.poll_statuses.append(op.status)
        if op is None:
            return self._graph_error(404, "ResourceNotFound", f"The operation '{op_id}' was not found.")
        kinds = {"notStarted": "runningOperation", "running": "runningOperation",
                 "succeeded": "exportSuccessOperation", "failed": "failedOperation"}
        body = {"@odata.context": f"{self._base()}/v1.0/$metadata#reports/partners/billing/operations/$entity",
                "@odata.type": f"#microsoft.graph.partners.billing.{kinds[op.status]}",
                "id": op.id, "createdDateTime": iso_z(op.created, 7), "lastActionDateTime": iso_z(op.last_action, 7),
                "status": op.status}
        headers = self._graph_headers()
        if op.status in ("notStarted", "running"):
            headers.append(("Retry-After", str(op.cfg["retry_after"])))
        elif op.status == "failed":
            body["error"] = self._op_error(op)
        else:
            body["resourceLocation@odata.navigationLink"] = \
                f"{op.cfg['manifest_base'] or self._base()}{BILLING}/manifests/{op.manifest['id']}"
            if op.cfg.get("manifest_inline", True):
                body["resourceLocation"] = op.manifest
        self._json(200, body, headers, GRAPH_JSON)

    def _make_manifest(self, op):
        """Called with the lock held: the manifest, its SAS grant and its blobs."""
        st = self.server.state
        cfg, req = op.cfg, op.request
        files = cfg["files"]
        names = cfg["blob_names"] or [f"part-{i + 1:05d}.json.gz" for i in range(len(files))]
        pt = cfg["partner_tenant_id"]
        frag = f"Fragment={op.params['attributeSet']}/PartitionType=default/ExportId={op.id}"
        if op.kind == "unbilled":
            container = "unbilledusagefastpath"
            dirpath = (f"v1/PartnerTenantId={pt}/BillingPeriod={req['billingPeriod']}/"
                       f"Currency={req['currencyCode']}/{frag}")
        else:
            container = "billedusagefastpath"
            dirpath = f"v1/PartnerTenantId={pt}/InvoiceId={req['invoiceId']}/{frag}"
        url_dir = f"/blob/{container}/{dirpath}"
        etag = cfg["etag"]
        if etag is None:
            h = hashlib.sha256()
            for name, path in zip(names, files):
                h.update(name.encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
            etag = re.sub(r"[^A-Za-z0-9]", "", base64.b64encode(h.digest()).decode())[:17]
        t = now_utc()
        se = t - datetime.timedelta(hours=1) if cfg["sas_expired"] else t + datetime.timedelta(
            seconds=cfg["sas_ttl_seconds"])
        se = se.replace(microsecond=0)
        params = [("skoid", str(uuid.uuid4())), ("sktid", str(uuid.uuid4())),
                  ("skt", iso_z(t.replace(microsecond=0))), ("ske", iso_z(se + datetime.timedelta(hours=12))),
                  ("sks", "b"), ("skv", SAS_VERSION), ("sv", SAS_VERSION), ("se", iso_z(se)), ("sr", "d"),
                  ("sp", "rl"), ("sdd", str(dirpath.count("/") + 1))]
        string_to_sign = "\n".join(v for _, v in params) + "\n" + url_dir
        nonce = 0
        while True:  # a signature whose base64 holds "+", "/" and "=", so encoding mistakes show
            sig = base64.b64encode(hmac.new(st.key, f"{string_to_sign}\n{nonce}".encode(), hashlib.sha256)
                                   .digest()).decode()
            if "+" in sig and "/" in sig:
                break
            nonce += 1
        params.append(("sig", sig))
        st.grants[sig] = {"params": dict(params), "dir": url_dir, "se": se, "op": op.id}
        sas = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="")
        for name, path in zip(names, files):
            st.blobs[f"{url_dir}/{name}"] = path
        return {
            "id": str(uuid.uuid4()),
            "createdDateTime": iso_z(t, 7),
            "schemaVersion": "2",
            "dataFormat": "compressedJSON",
            "partitionType": "default",
            "eTag": etag,
            "partnerTenantId": pt,
            "rootDirectory": cfg["root_directory"] or f"{self._base()}{url_dir}",
            "sasToken": sas,
            "blobCount": len(files) if cfg["blob_count"] is None else cfg["blob_count"],
            "blobs": [{"name": n, "partitionValue": "default"} for n in names],
        }

    # -- Azure Blob Storage -----------------------------------------------------------------------------------

    def _storage_error(self, status, code, message, detail=None, reason=None):
        t = now_utc()
        rid = f"{uuid.uuid4().hex[:8]}-{secrets.token_hex(2)}-00{secrets.token_hex(1)}-{secrets.token_hex(2)}-" \
              f"{secrets.token_hex(4)}000000"
        xml = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}\n'
               f"RequestId:{rid}\nTime:{iso_z(t, 7)}</Message>")
        if detail:
            xml += f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>"
        xml += "</Error>"
        self._send(status, b"\xef\xbb\xbf" + xml.encode(), "application/xml",
                   [("x-ms-request-id", rid), ("x-ms-error-code", code)], reason or message, "Microsoft-HTTPAPI/2.0")

    def _blob(self, p, m):
        st = self.server.state
        st.count("blob_gets")
        q = urllib.parse.parse_qs(self._query, keep_blank_values=True)
        q = {k: v[-1] for k, v in q.items()}
        sas_keys = {"sv", "se", "sr", "sp", "sig", "skoid", "sktid", "skt", "ske", "sks", "skv", "sdd", "st"}
        if not sas_keys & set(q):
            return self._storage_error(404, "ResourceNotFound", "The specified resource does not exist.")
        path = urllib.parse.unquote(p)
        with st.lock:
            grant = st.grants.get(q.get("sig", ""))
            file_path = st.blobs.get(path)
        fail = None
        if not q.get("sig"):
            fail = "sig is mandatory. Cannot be empty"
        elif grant is None or any(q.get(k) != v for k, v in grant["params"].items()) or \
                not path.startswith(grant["dir"] + "/"):
            sts = "\n".join(q.get(k, "") for k in ("sp", "st", "se")) + "\n/blob/pcserver" + path[len("/blob"):]
            fail = f"Signature did not match. String to sign used was {sts}"
        if fail:
            st.count("blob_auth_failures")
            return self._storage_error(403, "AuthenticationFailed", AUTH_REASON, fail)
        t = now_utc()
        if t >= grant["se"]:
            st.count("blob_auth_failures")
            return self._storage_error(403, "AuthenticationFailed", AUTH_REASON,
                                       f"Signed expiry time [{rfc1123(grant['se'])}] must be after signed start "
                                       f"time [{rfc1123(t)}]")
        if "r" not in grant["params"]["sp"]:
            return self._storage_error(403, "AuthorizationPermissionMismatch", "This request is not authorized to "
                                       "perform this operation using this permission.")
        if file_path is None or not os.path.isfile(file_path):
            return self._storage_error(404, "BlobNotFound", "The specified blob does not exist.")
        with open(file_path, "rb") as f:
            data = f.read()
        size = len(data)
        mtime = datetime.datetime.fromtimestamp(os.path.getmtime(file_path), datetime.timezone.utc)
        digest = hashlib.md5(data).digest()
        etag = '"0x8D' + hashlib.sha256(data).hexdigest()[:13].upper() + '"'
        headers = [("Last-Modified", rfc1123(mtime)), ("Accept-Ranges", "bytes"), ("ETag", etag),
                   ("x-ms-request-id", str(uuid.uuid4())), ("x-ms-version", grant["params"]["sv"]),
                   ("x-ms-creation-time", rfc1123(mtime)), ("x-ms-lease-status", "unlocked"),
                   ("x-ms-lease-state", "available"), ("x-ms-blob-type", "BlockBlob"),
                   ("x-ms-server-encrypted", "true")]
        rng = self.headers.get("x-ms-range") or self.headers.get("Range")
        if rng:
            mm = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not mm or not (mm.group(1) or mm.group(2)):
                mm = None
            else:
                if mm.group(1):
                    start = int(mm.group(1))
                    end = min(int(mm.group(2)), size - 1) if mm.group(2) else size - 1
                else:
                    start, end = max(0, size - int(mm.group(2))), size - 1
                if start >= size or start > end:
                    return self._storage_error(416, "InvalidRange", "The range specified is invalid for the "
                                               "current size of the resource.")
                headers += [("Content-Range", f"bytes {start}-{end}/{size}"),
                            ("x-ms-blob-content-md5", base64.b64encode(digest).decode())]
                return self._send(206, data[start:end + 1], "application/octet-stream", headers, None, BLOB_SERVER)
        headers.append(("Content-MD5", base64.b64encode(digest).decode()))
        self._send(200, data, "application/octet-stream", headers, None, BLOB_SERVER)

    # -- Partner Center ---------------------------------------------------------------------------------------

    def _pc_headers(self):
        rid = self.headers.get("MS-RequestId") or str(uuid.uuid4())
        cid = self.headers.get("MS-CorrelationId") or str(uuid.uuid4())
        return [("MS-CorrelationId", cid), ("MS-RequestId", rid), ("MS-CV", b64url(secrets.token_bytes(12)) + ".0"),
                ("MS-ServerId", "101112012")]

    def _pc_error(self, status, code, description, headers=()):
        self._json(status, {"code": code, "description": description, "data": [], "source": "PartnerFD"},
                   self._pc_headers() + list(headers), "application/json; charset=utf-8")

    def _partner_center(self, p, m):
        st = self.server.state
        dom_m = re.fullmatch(r"/v1/domains/([^/]+)", p)
        cust_m = re.fullmatch(r"/v1/customers/([^/]+)", p)
        if dom_m:
            if m != "HEAD":
                return self._not_allowed("HEAD")
            st.count("domain_checks")
        elif cust_m:
            if m != "GET":
                return self._not_allowed("GET")
            st.count("customer_gets")
        elif p == "/v1/customers":
            if m not in ("GET", "POST"):
                return self._not_allowed("GET, POST")
            st.count("customer_posts" if m == "POST" else "customer_gets")
        else:
            return self._pc_error(404, 3000, f"The resource '{p}' could not be found.")
        why = self._check_token(PC_AUD)
        if why:
            return self._pc_error(401, 401, f"Unauthorized: {why}",
                                  [("WWW-Authenticate", "OAuth realm=urn:cpsvc:cpid:pcserver")])
        if dom_m:
            dom = urllib.parse.unquote(dom_m.group(1)).lower()
            with st.lock:
                taken = dom in st.by_domain
            return self._send(200 if taken else 404, b"", None, self._pc_headers())
        if cust_m:
            with st.lock:
                cust = st.by_id.get(cust_m.group(1))
            if cust is None:
                return self._pc_error(404, 3000, f"Customer {cust_m.group(1)} could not be found.")
            return self._json(200, public_customer(cust), self._pc_headers(), "application/json; charset=utf-8")
        if m == "GET":
            return self._list_customers()
        return self._create_customer()

    def _list_customers(self):
        st = self.server.state
        q = dict(urllib.parse.parse_qsl(self._query))
        try:
            size = int(q.get("size", "200"))
            if not 1 <= size <= 500:
                raise ValueError
        except ValueError:
            return self._pc_error(400, 2000, "size must be an integer from 1 to 500.")
        token = self.headers.get("MS-ContinuationToken")
        start = 0
        if token:
            try:
                start = int(base64.b64decode(token).decode().removeprefix("offset:"))
            except ValueError:
                return self._pc_error(400, 2000, "The continuation token is not valid.")
        match = None
        if "filter" in q:
            try:
                f = json.loads(q["filter"])
                if not isinstance(f, dict) or set(f) != {"Field", "Value", "Operator"} or \
                        f["Operator"] != "starts_with" or not isinstance(f["Value"], str) or \
                        not isinstance(f["Field"], str) or f["Field"].lower() not in ("domain", "companyname"):
                    raise ValueError
            except ValueError:
                return self._pc_error(400, 2000, "The filter is not valid.")
            key, prefix = f["Field"].lower(), f["Value"].lower()
            match = lambda c: c["companyProfile"][{"domain": "domain", "companyname": "companyName"}[key]] \
                .lower().startswith(prefix)
        with st.lock:
            found = [c for c in st.customers if match is None or match(c)]
            items = [public_customer(c) for c in found[start:start + size]]
            more = start + size < len(found)
        body = {"totalCount": len(items), "items": items,
                "links": {"self": {"uri": f"/v1/customers?size={size}", "method": "GET", "headers": []}},
                "attributes": {"objectType": "Collection"}}
        if more:
            nxt = base64.b64encode(f"offset:{start + size}".encode()).decode()
            body["continuationToken"] = nxt
            body["links"]["next"] = {"uri": f"/v1/customers?size={size}", "method": "GET",
                                     "headers": [{"key": "MS-ContinuationToken", "value": nxt}]}
        self._json(200, body, self._pc_headers(), "application/json; charset=utf-8")

    def _create_customer(self):
        st = self.server.state
        rid = self.headers.get("MS-RequestId")
        with st.lock:
            fail, st.fail_next = st.fail_next, 0
            code = st.config["customers"]["fail_create_code"]
        if fail:
            desc = {429: "Too many requests. Please retry after some time."}.get(
                fail, "The service encountered an error. Please retry." if fail >= 500 else "The request failed.")
            extra = [("Retry-After", "1")] if fail in (429, 503) else []
            if code is None:
                code = 0 if fail >= 500 else 2000
            return self._pc_error(fail, code, desc, extra)
        try:
            body = json.loads(self._body.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return self._pc_error(400, 2000, "The request body is not a valid customer (JSON object expected).")
        for path, name in CUSTOMER_REQUIRED:
            v = ci_get(body, *path)
            if not isinstance(v, str) or not v.strip():
                return self._pc_error(400, 2000, f"{name} is required.")
        dom = ci_get(body, "companyprofile", "domain").strip().lower()
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", dom):
            return self._pc_error(400, 2000, f"The domain '{dom}' is not valid.")
        delay = 0
        hold = answer = None
        with st.lock:
            forget = st.config["customers"].get("forget_requests")
            cust = st.by_request.get(rid) if rid and not forget else None
            if cust is None:
                if dom in st.by_domain:
                    taken = True
                else:
                    taken = False
                    upper = st.config["customers"].get("uppercase_ids")
                    cust = new_customer(body, str(uuid.uuid4()).upper() if upper else None)
                    cust["companyProfile"]["domain"] = dom
                    st._add_customer(cust)
                    if rid:
                        st.by_request[rid] = cust
                    st.stats["customers_created"] += 1
                    delay, st.create_delay = st.create_delay, 0
                    hold, st.create_hold = st.create_hold, None
                    answer, st.answer_body = st.answer_body, None
            else:
                taken = False
        if taken:
            desc = st.config["customers"].get("conflict_description")
            return self._pc_error(409, 2001, desc if desc is not None else
                                  f"The domain '{dom}' is already in use. Choose another domain.")
        if delay:
            time.sleep(delay)
        if hold:
            deadline = time.monotonic() + 60
            while not os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.05)
        if answer is not None:
            return self._send(201, answer.encode("utf-8"), "application/json; charset=utf-8", self._pc_headers())
        self._json(201, cust, self._pc_headers(), "application/json; charset=utf-8")


def main():
    ap = argparse.ArgumentParser(description="Loopback Entra ID + Graph partner billing + Partner Center test "
                                             "server (see the file's header).")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--config", help="a JSON file applied as POST /_pc/config at start")
    ap.add_argument("--max-seconds", type=float, default=900, help="exit after this long (default 900)")
    a = ap.parse_args()

    state = State(default_config())
    if a.config:
        try:
            with open(a.config) as f:
                obj = json.load(f)
            state.apply_config(obj, os.path.dirname(os.path.abspath(a.config)))
        except (OSError, ValueError, ConfigError) as e:
            ap.error(f"--config {a.config}: {e}")
        state.base_config = copy.deepcopy(state.config)
        state.base_customers = copy.deepcopy(state.customers)

    server = Server(("127.0.0.1", a.port), Handler)
    server.state = state

    def announce(port):
        print(f"pcserver listening on http://127.0.0.1:{port}", flush=True)

    why = serve(server, a.max_seconds, announce) or f"max-seconds {a.max_seconds:g} reached"
    print(f"pcserver: {why}, exiting", file=sys.stderr, flush=True)
    # Requests still in progress (a delayed create) are cut off with the process.
    os._exit(0)


if __name__ == "__main__":
    main()
