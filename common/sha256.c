/* SHA-256 through OpenSSL's EVP interface, at once or in pieces. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

#include "banned.h"

static void to_hex(const unsigned char md[32], char hex[65])
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int pb_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	to_hex(md, hex);
	return 0;
}

/* The context, made and started when s has none yet. NULL (and s failed) when it cannot be. */
static EVP_MD_CTX *context(struct pb_sha256 *s)
{
	EVP_MD_CTX *c;

	if (s->ctx || s->failed)
		return s->ctx;
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		s->failed = 1;
		return NULL;
	}
	s->ctx = c;
	return c;
}

void pb_sha256_update(struct pb_sha256 *s, const void *data, size_t len)
{
	EVP_MD_CTX *c = context(s);

	if (c && len && EVP_DigestUpdate(c, data, len) != 1)
		s->failed = 1;
}

int pb_sha256_final(struct pb_sha256 *s, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *c = context(s);
	int rc = -1;

	if (c && !s->failed && EVP_DigestFinal_ex(c, md, &n) == 1 && n == 32) {
		to_hex(md, hex);
		rc = 0;
	}
	pb_sha256_release(s);
	return rc;
}

void pb_sha256_release(struct pb_sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	s->failed = 0;
}
