/* pb-accounts' commands on the accounts themselves: add, update, show, list, import, import-links. */
#ifndef PB_CMD_ACCOUNT_H
#define PB_CMD_ACCOUNT_H

#include "cli.h"

/*
 * Each runs its command as cli says, writes its results to cli->out and logs what went wrong. Each
 * returns 0 or a PB_ERR_ code (see exitcode.h).
 */
int pb_cmd_add(struct pb_cli *cli);
int pb_cmd_update(struct pb_cli *cli);
int pb_cmd_show(struct pb_cli *cli);   /* show ALIAS, and list without an argument */
int pb_cmd_import(struct pb_cli *cli); /* import, and import-links */

#endif
