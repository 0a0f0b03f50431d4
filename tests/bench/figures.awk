# figures.awk - the figures of one `fetchtrace --json` run that add up over the pieces of a
# capture (tests/bench/pieces.sh): reads the JSON lines on standard input, prints one
# "sum NAME VALUE" or "max NAME VALUE" line per figure, sorted by name.
#
#   sum  counts and byte totals: a capture made of pieces that share no connection, DNS
#        exchange, name or address has the sum of its pieces' (packets by step, fetches,
#        connections by application and end, exchanges by status, bytes and packets each
#        way, every counter of the summary object)
#   max  the summary's high-water marks (reasm_peak, quic_mem_peak): with nothing open across
#        a piece's end, the whole's peak is the largest of its pieces'
#
# Left out on purpose: every time stamp, duration and timing (the pieces lie apart in time),
# and fetch / connection / frame numbers and "file" (they number the run, not the traffic).
# Plain POSIX awk (mawk reads a 10 GB stream in minutes); the lines are fetchtrace's own
# compact JSON, one object a line, so a member is found by its quoted name.

# the value of member KEY in S: a string without its quotes, a number, null, true or false
function val(s, key,   i, r) {
	i = index(s, "\"" key "\":")
	if (!i)
		return ""
	r = substr(s, i + length(key) + 3)
	if (substr(r, 1, 1) == "\"") {
		r = substr(r, 2)
		return substr(r, 1, index(r, "\"") - 1)
	}
	if (match(r, /^[^,}\]]*/))
		return substr(r, 1, RLENGTH)
	return ""
}

function add(name, v) { sum[name] += v; seen[name] = 1 }

{
	# every line starts {"type":"NAME",
	t = substr($0, 10, index(substr($0, 10), "\"") - 1)
	if (t != "summary")
		add("objects." t, 1)
	if (t == "packet") {
		add("packets.step." val($0, "step"), 1)
		add("packets.in_fetch." (val($0, "fetch") == "null" ? "no" : "yes"), 1)
		add("packets.bytes", val($0, "len"))
	} else if (t == "fetch") {
		add("fetch.exchanges", val($0, "exchanges"))
		add("fetch.connections", val($0, "connections"))
		add("fetch.up", val($0, "up"))
		add("fetch.down", val($0, "down"))
	} else if (t == "fetch_start") {
		add("fetch_start.via_dns." val($0, "via_dns"), 1)
		add("fetch_start.transport." val($0, "transport"), 1)
	} else if (t == "exchange") {
		add("exchange.status." val($0, "status"), 1)
		add("exchange.tls." val($0, "tls"), 1)
		add("exchange.close." val($0, "close"), 1)
		add("exchange.up", val($0, "up"))
		add("exchange.down", val($0, "down"))
	} else if (t == "conn") {
		add("conn.app." val($0, "app"), 1)
		add("conn.ended." val($0, "ended"), 1)
		add("conn.state." val($0, "conn_state"), 1)
		add("conn.history." val($0, "history"), 1)
		add("conn.midstream." val($0, "midstream"), 1)
		add("conn.bytes_sent", val($0, "bytes_sent"))
		add("conn.bytes_received", val($0, "bytes_received"))
		add("conn.packets_sent", val($0, "packets_sent"))
		add("conn.packets_received", val($0, "packets_received"))
	} else if (t == "summary") {
		# every member but "type": numbers, summed, or for *_peak the largest
		s = substr($0, 2, length($0) - 2)
		n = split(s, kv, ",")
		for (i = 1; i <= n; i++) {
			c = index(kv[i], ":")
			k = substr(kv[i], 2, c - 3)
			v = substr(kv[i], c + 1)
			if (k == "type" || v !~ /^-?[0-9]+$/)
				continue
			if (k ~ /_peak$/) {
				if (!(("summary." k) in peak) || v + 0 > peak["summary." k])
					peak["summary." k] = v + 0
			} else {
				add("summary." k, v)
			}
		}
	}
}

END {
	for (k in seen)
		printf "sum %s %.0f\n", k, sum[k] | "sort"
	for (k in peak)
		printf "max %s %.0f\n", k, peak[k] | "sort"
	close("sort")
}
