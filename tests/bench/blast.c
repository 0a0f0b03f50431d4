/* blast.c - the bounded live load of the drop test: send the frames of a capture out of an
 * interface (AF_PACKET, as they are) at a fixed rate, for a fixed count.
 *
 * usage: blast -i IFACE -r RATE -n PACKETS FILE
 *
 * Reads FILE with libpcap (the bench generator's capture of concurrent fetches), keeps up to
 * 200,000 of its frames in memory, and sends them in order, again from the first when they
 * run out, RATE packets a second (paced every 64 packets against the monotonic clock) until
 * PACKETS are sent.  Prints "sent N packets in S s (R/s), N send errors" on standard output.
 * Root only (a packet socket); meant for a veth pair in a private network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 200000
#define BATCH 64

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *iface = NULL;
	long rate = 0, total = 0;
	int opt;
	while ((opt = getopt(argc, argv, "i:r:n:")) != -1) {
		if (opt == 'i')
			iface = optarg;
		else if (opt == 'r')
			rate = strtol(optarg, NULL, 10);
		else if (opt == 'n')
			total = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (!iface || rate <= 0 || total <= 0 || optind != argc - 1) {
		fprintf(stderr, "usage: blast -i IFACE -r RATE -n PACKETS FILE\n");
		return 2;
	}
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[optind], eb);
	if (!p) {
		fprintf(stderr, "blast: %s\n", eb);
		return 1;
	}
	uint8_t **frame = calloc(MAX_FRAMES, sizeof(*frame));
	uint32_t *flen = calloc(MAX_FRAMES, sizeof(*flen));
	if (!frame || !flen)
		return 1;
	struct pcap_pkthdr *h;
	const u_char *d;
	long n = 0;
	while (n < MAX_FRAMES && n < total && pcap_next_ex(p, &h, &d) == 1) {
		if (h->caplen != h->len || h->caplen < 14 || h->caplen > 1514)
			continue; /* what the link cannot carry as it is */
		if (!(frame[n] = malloc(h->caplen)))
			return 1;
		memcpy(frame[n], d, h->caplen);
		flen[n++] = h->caplen;
	}
	pcap_close(p);
	if (n == 0) {
		fprintf(stderr, "blast: no frames in %s\n", argv[optind]);
		return 1;
	}
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "blast: socket: %s\n", strerror(errno));
		return 1;
	}
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(iface);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "blast: %s: %s\n", iface, strerror(errno));
		return 1;
	}
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	long sent = 0, errs = 0, k = 0;
	int64_t t0 = now_ns();
	while (sent < total) {
		int b = 0;
		for (; b < BATCH && sent + b < total; b++, k = (k + 1) % n) {
			iov[b].iov_base = frame[k];
			iov[b].iov_len = flen[k];
			memset(&msg[b], 0, sizeof(msg[b]));
			msg[b].msg_hdr.msg_iov = &iov[b];
			msg[b].msg_hdr.msg_iovlen = 1;
		}
		int r = sendmmsg(fd, msg, (unsigned)b, 0);
		if (r < 0) {
			errs += b;
			r = b;
		} else if (r < b) {
			errs += b - r;
		}
		sent += b;
		/* pace: the time these packets are due */
		int64_t due = t0 + (int64_t)((double)sent * 1e9 / (double)rate);
		int64_t wait = due - now_ns();
		if (wait > 0) {
			struct timespec ts = { wait / 1000000000, wait % 1000000000 };
			nanosleep(&ts, NULL);
		}
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	printf("sent %ld packets in %.2f s (%.0f/s), %ld send errors\n", sent, secs,
	       (double)sent / secs, errs);
	return 0;
}
