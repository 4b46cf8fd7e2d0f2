// SPDX-License-Identifier: Apache-2.0
/* The map layouts shared by closed_attempts.bpf.c and its loader (C and C++): keys are
 * plain structs with explicit padding so both compilers lay them out alike. */
#ifndef PORT_EXPORTER_CLOSED_ATTEMPTS_ABI_H
#define PORT_EXPORTER_CLOSED_ATTEMPTS_ABI_H

#define CLOSED_ATTEMPTS_MAX_WATCHED 4096  /* (port, protocol) pairs */
#define CLOSED_ATTEMPTS_MAX_COUNTED 16384 /* (netns, port, protocol, family) keys */
#define CLOSED_ATTEMPTS_TCP 6             /* IPPROTO_TCP */
#define CLOSED_ATTEMPTS_UDP 17            /* IPPROTO_UDP */
#define CLOSED_ATTEMPTS_INET 2            /* AF_INET */
#define CLOSED_ATTEMPTS_INET6 10          /* AF_INET6 */

struct watched_key {
  __u16 port; /* host order */
  __u8 protocol;
  __u8 pad;
};

struct attempt_key {
  __u32 netns; /* inode of the network namespace the packet arrived in */
  __u16 port;  /* host order */
  __u8 protocol;
  __u8 family;
};

#endif
