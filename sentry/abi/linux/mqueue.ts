// POSIX message queues (include/uapi/linux/mqueue.h, ipc/mqueue.c).

/** struct mq_attr: mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs (long each), 4 reserved longs. */
export const MQ_ATTR = { SIZE: 64, FLAGS: 0, MAXMSG: 8, MSGSIZE: 16, CURMSGS: 24 } as const;

/** Priorities run from 0 to MQ_PRIO_MAX - 1. */
export const MQ_PRIO_MAX = 32768;
/** Bounds no capability lifts (HARD_MSGMAX, HARD_MSGSIZEMAX). */
export const HARD_MSGMAX = 65536;
export const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** What RLIMIT_MSGQUEUE counts per message beside its bytes: sizeof(struct msg_msg), sizeof(struct posix_msg_tree_node). */
export const MSG_MSG_SIZE = 48;
export const MSG_TREE_NODE_SIZE = 48;
