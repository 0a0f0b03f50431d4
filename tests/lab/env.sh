# shellcheck shell=sh disable=SC2034
# env.sh - the lab's names and addresses, sourced by lab.sh, fetch.sh and test.sh.
# Documentation ranges only, and only inside the ftnet-* namespaces:
#   client LAN  203.0.113.0/24   2001:db8:1::/64  (bridge br-lan in ftnet-router)
#   server LAN  198.51.100.0/24  2001:db8:2::/64  (bridge br-net in ftnet-router)
# ftnet-router routes between the two and has no link to anything else.
LAB_STATE=${LAB_STATE:-/run/fetchtrace-lab}

NS_ROUTER=ftnet-router
NS_CLIENT=ftnet-client
NS_RESOLVER=ftnet-resolver
NS_ROOT=ftnet-root
NS_COM=ftnet-com
NS_EXAMPLE=ftnet-example
NS_WEB=ftnet-web
LAB_NAMESPACES="$NS_ROUTER $NS_CLIENT $NS_RESOLVER $NS_ROOT $NS_COM $NS_EXAMPLE $NS_WEB"

# interfaces inside the namespaces (each the end of a veth; the other end is a
# bridge port in ftnet-router)
IF_CLIENT=ftn-cli0
IF_RES_LAN=ftn-res-lan      # resolver, facing the clients
IF_RES_UP=ftn-res-up        # resolver, facing the authoritative servers
IF_ROOT=ftn-root0
IF_COM=ftn-com0
IF_EXAMPLE=ftn-example0
IF_WEB=ftn-web0

ROUTER_LAN4=203.0.113.1   ROUTER_LAN6=2001:db8:1::1
ROUTER_NET4=198.51.100.1  ROUTER_NET6=2001:db8:2::1
CLIENT4=203.0.113.10      CLIENT6=2001:db8:1::10
RES_LAN4=203.0.113.53     RES_LAN6=2001:db8:1::53
RES_UP4=198.51.100.53     RES_UP6=2001:db8:2::53
ROOT4=198.51.100.11       ROOT6=2001:db8:2::11      # a.root-servers.net
COM4=198.51.100.12        COM6=2001:db8:2::12       # a.gtld-servers.net
EXAMPLE4=198.51.100.13    EXAMPLE6=2001:db8:2::13   # ns1.example.com
WEB4=198.51.100.80        WEB6=2001:db8:2::80       # www.example.com
FALLBACK4=198.51.100.81   FALLBACK6=2001:db8:2::81  # fallback.example.com (nginx, no UDP 443)
H3_4=198.51.100.83        H3_6=2001:db8:2::83       # h3.example.com (caddy: TCP and UDP 443)
