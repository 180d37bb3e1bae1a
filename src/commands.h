#ifndef VMLOCK_COMMANDS_H
#define VMLOCK_COMMANDS_H

/* Each returns the exit status, or execs. argv[0] is the command name. */
int cmd_run(int argc, const char **argv);
int cmd_inquire(int argc, const char **argv);
int cmd_revoke(int argc, const char **argv);
int cmd_handover(int argc, const char **argv);
/* in cmd_handover.c */
int cmd_sanlock_join(int argc, const char **argv);

#include "conf.h"
#include "driver.h"

#include <popt.h>

/* --driver, --lockspace, --config: every command that locks or looks. */
struct vl_setup {
	char *driver, *lockspace, *config;
	struct vl_config conf;
};

extern struct vl_setup vl_setup;
extern const struct poptOption vl_setup_options[];

/* Loads the configuration and the driver, the command line winning. */
const struct vl_driver *vl_setup_driver(struct vl_error *e);
void vl_setup_free(void);

#endif
