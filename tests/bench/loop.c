/* loop.c - the floor for `make bench`: a bare pcap_next_ex loop that reads every packet and
 * does nothing with it.  usage: loop FILE; prints the packet count on standard output. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned long long n_pkts = 0, n_bytes = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: loop FILE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "loop: %s\n", errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		n_pkts++;
		n_bytes += hdr->caplen;        /* touch the header so the loop is not optimised away */
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "loop: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("%llu packets, %llu bytes\n", n_pkts, n_bytes);
	return 0;
}
