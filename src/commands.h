#ifndef VMLOCK_COMMANDS_H
#define VMLOCK_COMMANDS_H

/* Each returns the exit status, or execs. argv[0] is the command name. */
int cmd_run(int argc, const char **argv);
int cmd_inquire(int argc, const char **argv);
int cmd_revoke(int argc, const char **argv);
int cmd_handover(int argc, const char **argv);

#endif
