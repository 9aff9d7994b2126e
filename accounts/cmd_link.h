/* pb-accounts' commands on terms, eligibility and links: accept-terms, check, link, unlink, create-azure-customer. */
#ifndef PB_CMD_LINK_H
#define PB_CMD_LINK_H

#include "cli.h"

/*
 * Each runs its command as cli says, writes its results to cli->out and logs what went wrong. Each
 * returns 0 or a PB_ERR_ code (see exitcode.h).
 */
int pb_cmd_accept_terms(struct pb_cli *cli);
int pb_cmd_check(struct pb_cli *cli); /* check, and link when cli->name is "link" */
int pb_cmd_unlink(struct pb_cli *cli);
int pb_cmd_create_azure_customer(struct pb_cli *cli);

#endif
