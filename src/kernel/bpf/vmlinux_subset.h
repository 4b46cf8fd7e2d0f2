// SPDX-License-Identifier: Apache-2.0
/* The few kernel types closed_attempts.bpf.c reads, checked in so that the build needs no
 * BTF on the build machine. Every struct carries preserve_access_index: libbpf relocates
 * each field offset against the running kernel's BTF at load (CO-RE), so only the names
 * and kinds here must match the kernel, not the layout. Names are the kernel's (6.x). */
#ifndef PORT_EXPORTER_VMLINUX_SUBSET_H
#define PORT_EXPORTER_VMLINUX_SUBSET_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;

/* UAPI constants (stable ABI, include/uapi/linux/bpf.h). */
enum bpf_map_type { BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_PERCPU_HASH = 5 };
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };

/* The value is a placeholder: bpf_core_enum_value() reads the kernel's. */
enum skb_drop_reason { SKB_DROP_REASON_NO_SOCKET = 3 };

struct ns_common {
  unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
  struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
  struct net *net;
} possible_net_t;

struct net_device {
  possible_net_t nd_net;
} __attribute__((preserve_access_index));

struct sk_buff {
  struct net_device *dev;
  unsigned char *head;
  __u16 transport_header;
  __u16 network_header;
  __be16 protocol; /* ETH_P_IP, ETH_P_IPV6 in network order */
} __attribute__((preserve_access_index));

#endif
