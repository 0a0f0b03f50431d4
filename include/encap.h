/* encap.h - the packet walk's shared pieces: link-layer protocols by ethertype (link.c) and tunnels (tunnel.c). */
#ifndef FT_ENCAP_H
#define FT_ENCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "rd.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_TEB 0x6558      /* Transparent Ethernet Bridging: an Ethernet frame follows */
#define ETHERTYPE_MPLS 0x8847     /* MPLS unicast (RFC 3032 2.4) */
#define ETHERTYPE_MPLS_MC 0x8848  /* MPLS multicast (RFC 5332) */
#define ETHERTYPE_PPPOE 0x8864    /* PPPoE session stage (RFC 2516 4) */
#define ETHERTYPE_PPP 0x880B      /* PPP (in GRE version 1, RFC 2637) */
/* Not on any wire (0xFFFF is reserved): IP whose version nibble says 4 or 6. */
#define ETHERTYPE_RAWIP 0xFFFF

/*
 * Walk from a protocol number of the ethertype space (Ethernet's type,
 * a tunnel's protocol field) through VLAN tags, PPPoE sessions, MPLS label
 * stacks and bridged Ethernet frames to IP.  On FT_OK, r sits at the
 * network header and p->ethertype names it (IPv4, IPv6, or something
 * else that ip_decode then calls unsupported).  Bounded: each step reads
 * at least 2 bytes and the steps are capped.
 */
enum ft_status link_ethertype(struct rd *r, uint16_t type, struct pkt *p);

/* Record one encapsulation (kept when fewer than PKT_MAX_ENCAP, always counted). */
void pkt_encap_push(struct pkt *p, unsigned kind, unsigned n, bool has_id, uint32_t id);

/*
 * The IP payload ip[l4_off..end) of a packet whose header ip_decode filled
 * into p: when it is a tunnel (IP in IP, GRE, ERSPAN, VXLAN, Geneve,
 * GTP-U, Teredo), *found is set, the tunnel recorded in p->encap,
 * p->ethertype set to the inner network protocol and *inner_off to where
 * its header starts (from ip).  Not a tunnel: FT_OK with *found false.
 * A tunnel header cut by the snap length or impossible: TRUNCATED /
 * MALFORMED with p->why.  end is the captured end of the IP datagram.
 */
enum ft_status tunnel_decode(const uint8_t *ip, size_t l4_off, size_t end, struct pkt *p,
			     size_t *inner_off, bool *found);

#endif
