/* Functions that invite overflows or hidden state; using one is a compile error. */
#ifndef PB_BANNED_H
#define PB_BANNED_H

#define PB_BANNED(func) sorry_##func##_is_banned_in_partnerbill

#undef strcpy
#define strcpy(x, y) PB_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PB_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PB_BANNED(strncpy)
#undef sprintf
#define sprintf(...) PB_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PB_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) PB_BANNED(strtok)
#undef atoi
#define atoi(x) PB_BANNED(atoi)
#undef atol
#define atol(x) PB_BANNED(atol)
#undef atof
#define atof(x) PB_BANNED(atof)
#undef sscanf
#define sscanf(...) PB_BANNED(sscanf)
#undef gmtime
#define gmtime(x) PB_BANNED(gmtime)
#undef localtime
#define localtime(x) PB_BANNED(localtime)
#undef strtod
#define strtod(x, y) PB_BANNED(strtod)

#endif
