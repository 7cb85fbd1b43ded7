#!/bin/sh
# banned.sh [DIR...] — fails when C sources call a banned function: the
# unbounded or error-blind ones — strcpy, strcat, sprintf, vsprintf, gets,
# atoi, atol, atoll, strtok.
# (snprintf, memcpy with a known size, buf_* and strtol/strtod with an end
# pointer are the replacements; strtok_r is allowed.)  Default DIR: src.
# Comments and string literals are not searched.  Exit 1 and one line per
# call (file:line: name) when any is found; `make lint` runs it.
set -u
dirs=${*:-src}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
found=0
for f in $(find $dirs -name '*.[ch]' | sort); do
	# Drop /* */ and // comments and "..." / '...' literals, keep lines.
	hits=$(sed -e 's://.*$::' "$f" | awk '
		{
			out = ""; s = $0
			while (length(s)) {
				if (inc) {
					i = index(s, "*/")
					if (!i) { s = ""; break }
					s = substr(s, i + 2); inc = 0; continue
				}
				i = index(s, "/*")
				if (!i) { out = out s; break }
				out = out substr(s, 1, i - 1); s = substr(s, i + 2); inc = 1
			}
			gsub(/"([^"\\]|\\.)*"/, "\"\"", out)
			gsub(/'\''([^'\''\\]|\\.)*'\''/, "0", out)
			print out
		}' | grep -nE '(^|[^A-Za-z0-9_.>])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok)[[:space:]]*\(' )
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|$f:|"
		found=1
	fi
done
if [ $found -ne 0 ]; then
	echo "banned.sh: banned functions found (use snprintf, buf_*, strtol/strtod with an end pointer, strtok_r)" >&2
	exit 1
fi
echo "banned.sh: no banned function in $dirs"
