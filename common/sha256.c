/* One-shot SHA-256 through OpenSSL's EVP interface. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

#include "banned.h"

int pb_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
