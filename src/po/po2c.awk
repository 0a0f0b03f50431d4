# po2c.awk - a gettext catalog (.po) as a C table: { "msgid", "msgstr" }, ..., { NULL, NULL }.
# POSIX awk, so the build needs neither gettext nor python.  The header entry (empty
# msgid), fuzzy entries, untranslated ones and obsolete (#~) ones are left out, so the
# program shows English for them; tests/explain/test.sh fails on any of them.
# The strings are copied as they stand: a .po string is written with C's escapes.
function flush() {
	if (id != "" && str != "" && !fuzzy) {
		gsub(/\?/, "\\?", id)    # no trigraphs, ever
		gsub(/\?/, "\\?", str)
		printf "\t{ \"%s\",\n\t  \"%s\" },\n", id, str
	}
	id = ""; str = ""; fuzzy = 0; sect = ""
}
function body(line) {
	sub(/^[a-z_]+[ \t]+/, "", line)
	sub(/^"/, "", line)
	sub(/"[ \t\r]*$/, "", line)
	return line
}
BEGIN {
	print "/* generated from src/po/ko.po by src/po/po2c.awk: do not edit */"
	print "static const struct explain_tr explain_ko[] = {"
	id = ""; str = ""; fuzzy = 0; sect = ""
}
/^[ \t\r]*$/ { flush(); next }
/^#/ && sect != "" { flush() }      # a comment starts the next entry
/^#,/ { if ($0 ~ /fuzzy/) fuzzy = 1; next }
/^#/ { next }
/^msgid[ \t]/ { if (sect != "") flush(); sect = "id"; id = body($0); next }
/^msgstr[ \t]/ { sect = "str"; str = body($0); next }
/^msg/ { sect = ""; next }            # msgctxt, plurals: not used here
/^[ \t]*"/ {
	if (sect == "id") id = id body($0)
	else if (sect == "str") str = str body($0)
	next
}
END {
	flush()
	print "\t{ NULL, NULL }"
	print "};"
}
