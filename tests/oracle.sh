#!/bin/sh
# oracle.sh - fetchtrace's decoding against tshark's on the same captures (tests/oracle.py).
cd "$(dirname "$0")/.." || exit 1
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip oracle: python3 not installed"; echo "oracle: 0 passed, 0 failed, 1 skipped"; exit 0
fi
# the decoding, then TLS decryption with the captures' key logs (tests/oracle_tls.py)
python3 tests/oracle.py; rc=$?
python3 tests/oracle_tls.py || rc=1
# frame numbers (-#, JSON "frame") against tshark's frame.number (tests/oracle_frames.py)
python3 tests/oracle_frames.py || rc=1
exit $rc
