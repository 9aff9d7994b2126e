/* pb-accounts' commands on mapping partner accounts from what the exports name them: suggest and proposals. */
#ifndef PB_CMD_PROPOSAL_H
#define PB_CMD_PROPOSAL_H

#include "cli.h"

/*
 * Each runs its command as cli says, writes its results to cli->out and logs what went wrong. Each
 * returns 0 or a PB_ERR_ code (see exitcode.h).
 */
int pb_cmd_suggest(struct pb_cli *cli);
int pb_cmd_proposals(struct pb_cli *cli);
int pb_cmd_approve(struct pb_cli *cli);
int pb_cmd_reject(struct pb_cli *cli);

#endif
