/* closed_attempts: counts TCP SYNs and UDP datagrams that the kernel frees because no socket
 * wanted them (skb:kfree_skb, reason SKB_DROP_REASON_NO_SOCKET), per (network namespace,
 * destination port, protocol, family), for the ports user space put in `watched_ports`.
 * Attached as a BTF tracepoint (tp_btf): it needs no tracefs mount, which hosts often lack,
 * reads the tracepoint's arguments (skb, location, reason) and the skb's fields directly
 * (BTF pointers: no bpf_probe_read per field; ~280 ns per dropped packet, docs/benchmarks.md).
 * It only reads: the packet's fate (RST / ICMP port unreachable) is the kernel's as before.
 * Loaded by src/kernel/closed_attempts_probe.cpp, which sums `attempts` per collection. */
/* The kernel types come first: libbpf's headers use them. */
/* clang-format off */
#include "vmlinux_subset.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "closed_attempts_abi.h"
/* clang-format on */

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, CLOSED_ATTEMPTS_MAX_WATCHED);
  __type(key, struct watched_key);
  __type(value, __u8);
} watched_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, CLOSED_ATTEMPTS_MAX_COUNTED);
  __type(key, struct attempt_key);
  __type(value, __u64);
} attempts SEC(".maps");

/* Wire formats (not kernel internals): the IP protocol byte and the transport's dport and
 * TCP flags sit at fixed offsets. */
static __always_inline int ip_protocol(const unsigned char *network, __u16 eth_protocol,
                                       __u8 *protocol) {
  if (eth_protocol == ETH_P_IP) return bpf_probe_read_kernel(protocol, 1, network + 9);
  if (eth_protocol == ETH_P_IPV6) return bpf_probe_read_kernel(protocol, 1, network + 6);
  return -1;
}

/* ctx: the arguments of trace_kfree_skb(skb, location, reason[, rx_sk]), one u64 each. */
SEC("tp_btf/kfree_skb")
int count_closed_attempt(__u64 *ctx) {
  const enum skb_drop_reason reason = (enum skb_drop_reason)ctx[2];
  if (reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET)) return 0;
  struct sk_buff *skb = (struct sk_buff *)ctx[0];
  const __u16 eth_protocol = __builtin_bswap16(skb->protocol);
  const unsigned char *head = skb->head;
  const unsigned char *network = head + skb->network_header;
  const unsigned char *transport = head + skb->transport_header;

  __u8 protocol = 0;
  if (ip_protocol(network, eth_protocol, &protocol) != 0) return 0;
  if (protocol != CLOSED_ATTEMPTS_TCP && protocol != CLOSED_ATTEMPTS_UDP) return 0;
  __be16 dport_be = 0;
  if (bpf_probe_read_kernel(&dport_be, 2, transport + 2) != 0) return 0;
  const __u16 dport = __builtin_bswap16(dport_be);

  /* Unwatched ports (nearly every packet on a scanned host) stop here. */
  struct watched_key watched = {.port = dport, .protocol = protocol};
  if (!bpf_map_lookup_elem(&watched_ports, &watched)) return 0;

  if (protocol == CLOSED_ATTEMPTS_TCP) {
    __u8 flags = 0;
    if (bpf_probe_read_kernel(&flags, 1, transport + 13) != 0) return 0;
    if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != TCP_FLAG_SYN) return 0;  // only new attempts
  }

  struct attempt_key key = {
      .netns = skb->dev->nd_net.net->ns.inum,
      .port = dport,
      .protocol = protocol,
      .family = eth_protocol == ETH_P_IP ? CLOSED_ATTEMPTS_INET : CLOSED_ATTEMPTS_INET6,
  };
  __u64 *count = bpf_map_lookup_elem(&attempts, &key);
  if (!count) {
    const __u64 zero = 0;
    bpf_map_update_elem(&attempts, &key, &zero, BPF_NOEXIST);  // full map: not counted
    count = bpf_map_lookup_elem(&attempts, &key);
    if (!count) return 0;
  }
  *count += 1;  // per-CPU value; the tracepoint does not nest on one CPU
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
