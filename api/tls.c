/*
 * The TLS files checked the way GnuTLS will read them. libmicrohttpd only says that it could not use "that
 * certificate and key": here each fault is put to the file that has it.
 */
#include "tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"

#include "banned.h"

#define MAX_PEM (1 << 20)

/* One of the two files: its option, path and what it should hold, for the messages. */
struct pem {
	const char *opt, *path, *what;
	char *text;
};

/* The whole of p's file, NUL-terminated, in p->text: 0, or a negative pb_err with err. */
static int read_pem(struct pem *p, struct pb_buf *err)
{
	FILE *f = fopen(p->path, "rb");
	size_t n = 0;
	int rc = 0;

	if (!f) {
		pb_buf_addf(err, "cannot open '%s': %s", p->path, strerror(errno));
		return PB_ERR_USAGE;
	}
	p->text = malloc(MAX_PEM + 1);
	if (p->text)
		n = fread(p->text, 1, MAX_PEM + 1, f);
	if (!p->text) {
		pb_buf_addf(err, "cannot read '%s': out of memory", p->path);
		rc = PB_ERR_DEPENDENCY;
	} else if (ferror(f)) {
		pb_buf_addf(err, "cannot read '%s': %s", p->path, strerror(errno));
		rc = PB_ERR_USAGE;
	} else if (n == 0 || n > MAX_PEM) {
		pb_buf_addf(err, "%s %s: not a PEM %s (%s)", p->opt, p->path, p->what,
			    n ? "larger than 1 MiB" : "the file is empty");
		rc = PB_ERR_DATA;
	} else {
		p->text[n] = '\0';
	}
	fclose(f);
	if (rc < 0) {
		free(p->text);
		p->text = NULL;
	}
	return rc;
}

static int holds(const struct pem *p, const char *s)
{
	return strstr(p->text, s) != NULL;
}

static gnutls_datum_t datum(const struct pem *p)
{
	gnutls_datum_t d = {(unsigned char *)p->text, (unsigned)strlen(p->text)};

	return d;
}

/* The certificates of c (free them): 0, or PB_ERR_DATA with err. */
static int certificates(const struct pem *c, gnutls_x509_crt_t **list, unsigned *n, struct pb_buf *err)
{
	gnutls_datum_t d = datum(c);
	int rc;

	/* "CERTIFICATE-----" ends the PEM labels GnuTLS takes (X509 and TRUSTED ones too), and no request's. */
	if (!holds(c, "CERTIFICATE-----")) {
		if (holds(c, "PRIVATE KEY-----"))
			pb_buf_addf(err, "%s %s: a private key, not a certificate (swapped with --tls-key?)", c->opt,
				    c->path);
		else
			pb_buf_addf(err, "%s %s: not a PEM certificate", c->opt, c->path);
		return PB_ERR_DATA;
	}
	rc = gnutls_x509_crt_list_import2(list, n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || *n == 0) {
		pb_buf_addf(err, "%s %s: a certificate that cannot be read: %s", c->opt, c->path,
			    rc < 0 ? gnutls_strerror(rc) : "none found");
		return PB_ERR_DATA;
	}
	return 0;
}

/* The private key of k into key: 0, or PB_ERR_DATA with err. */
static int private_key(const struct pem *k, gnutls_x509_privkey_t key, struct pb_buf *err)
{
	gnutls_datum_t d = datum(k);
	int rc;

	/* PKCS #8's label, then OpenSSL's traditional form's header. */
	if (holds(k, "ENCRYPTED PRIVATE KEY-----") || holds(k, "Proc-Type: 4,ENCRYPTED")) {
		pb_buf_addf(err,
			    "%s %s: an encrypted key is not supported: give it decrypted (openssl pkey -in FILE -out "
			    "FILE)",
			    k->opt, k->path);
		return PB_ERR_DATA;
	}
	if (!holds(k, "PRIVATE KEY-----")) {
		if (holds(k, "CERTIFICATE-----"))
			pb_buf_addf(err, "%s %s: a certificate, not a private key (swapped with --tls-cert?)", k->opt,
				    k->path);
		else
			pb_buf_addf(err, "%s %s: not a PEM private key", k->opt, k->path);
		return PB_ERR_DATA;
	}
	rc = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		pb_buf_addf(err, "%s %s: a private key that cannot be read: %s", k->opt, k->path, gnutls_strerror(rc));
		return PB_ERR_DATA;
	}
	return 0;
}

/* 0 when key is the public key's of crt (the chain's first, the server's own), else PB_ERR_DATA with err. */
static int same_key(const struct pem *c, gnutls_x509_crt_t crt, const struct pem *k, gnutls_x509_privkey_t key,
		    struct pb_buf *err)
{
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);
	int ra = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &na);
	int rb = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &nb);

	if (ra < 0 || rb < 0) {
		pb_buf_addf(err, "%s %s: cannot compare the key with the certificate in %s: %s", k->opt, k->path,
			    c->path, gnutls_strerror(ra < 0 ? ra : rb));
		return PB_ERR_DATA;
	}
	if (na != nb || memcmp(a, b, na) != 0) {
		pb_buf_addf(err, "%s %s: the key does not match the certificate in %s", k->opt, k->path, c->path);
		return PB_ERR_DATA;
	}
	return 0;
}

static void wipe(struct pem *p)
{
	if (p->text)
		explicit_bzero(p->text, strlen(p->text));
	free(p->text);
	p->text = NULL;
}

int pb_api_tls_load(const char *cert_path, const char *key_path, char **cert, char **key, struct pb_buf *err)
{
	struct pem c = {"--tls-cert", cert_path, "certificate", NULL}, k = {"--tls-key", key_path, "private key", NULL};
	gnutls_x509_crt_t *list = NULL;
	gnutls_x509_privkey_t pk = NULL;
	unsigned n = 0, i;
	int rc;

	rc = read_pem(&c, err);
	if (rc == 0)
		rc = read_pem(&k, err);
	if (rc == 0)
		rc = certificates(&c, &list, &n, err);
	if (rc == 0 && gnutls_x509_privkey_init(&pk) < 0) {
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DEPENDENCY;
	}
	if (rc == 0)
		rc = private_key(&k, pk, err);
	if (rc == 0)
		rc = same_key(&c, list[0], &k, pk, err);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	if (rc < 0) {
		wipe(&k);
		free(c.text);
		return rc;
	}
	*cert = c.text;
	*key = k.text;
	return 0;
}
