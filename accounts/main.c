/* pb-accounts: CLC accounts, eligibility, terms acceptance and partner account mapping (being built). */
#include <stdio.h>

#include "banned.h"

int main(void)
{
	fputs("pb-accounts: not built yet\n", stderr);
	return 2;
}
