#!/bin/sh
# Regenerates the fault table of docs/RELIABILITY.md: every fault is driven
# against servers on 127.0.0.1 by TestReliabilityTable (reliability_test.go),
# whose table replaces the lines between the markers of the document.
# Run from the repository root: scripts/reliability.sh
set -eu
cd "$(dirname "$0")/.."
table=$(mktemp)
trap 'rm -f "$table"' EXIT
RAVEN_RELIABILITY_TABLE="$table" go test -count=1 -run '^TestReliabilityTable$' -timeout 5m . >&2
doc=docs/RELIABILITY.md
awk -v table="$table" '
	/<!-- fault table: begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
	/<!-- fault table: end -->/ { skip = 0 }
	!skip { print }
' "$doc" > "$doc.tmp"
mv "$doc.tmp" "$doc"
cat "$table"
