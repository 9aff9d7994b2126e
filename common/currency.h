/* ISO 4217 currencies: which codes exist, and how many decimals (the minor unit) an amount shown in each has. */
#ifndef PB_CURRENCY_H
#define PB_CURRENCY_H

#include <stddef.h>

/*
 * The minor unit of the active ISO 4217 currency code (3 bytes at code): 2 for USD, 0 for JPY, 3 for
 * BHD, 4 for CLF. Returns -1 when the code is not an active currency (funds and metals such as XAU,
 * which have no minor unit, included).
 */
int pb_currency_minor_unit(const char *code, size_t len);

#endif
