#!/bin/sh
# mkdeb.sh BINARY OUTDIR — builds a Debian package of assay from an already
# built binary.  Depends are computed, not written by hand: every shared
# library the binary links (ldd) and every library it dlopen()s (the sonames
# compiled into it as strings, e.g. "libcurl.so.4" in src/util/curl_dl.c) is
# mapped to the Debian package that ships it (dpkg -S), with the installed
# version as the lower bound.  A dlopen()ed soname that is not installed here
# is reported and left out; so is libcurl-gnutls.so.4, which curl_dl.c tries
# only when libcurl.so.4 is missing (libcurl4 is the dependency).
set -eu
bin=$1; out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
version=$("$bin" --version | sed 's/^assay //')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
make -s -C "$here" install-files BIN="$bin" DESTDIR="$stage/root" PREFIX=/usr

libs=$(ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p')
for so in $(strings -a "$bin" | grep -oE 'lib[A-Za-z0-9_+-]+\.so(\.[0-9]+)+' | sort -u); do
	[ "$so" = libcurl-gnutls.so.4 ] && continue
	p=$(ldconfig -p | sed -n "s/^[[:space:]]*$so (.*) => \(.*\)/\1/p" | head -n 1)
	if [ -n "$p" ]; then libs="$libs $p"; else echo "mkdeb: $so (dlopen) not installed here; not a dependency" >&2; fi
done
deps=""
for l in $libs; do
	real=$(readlink -f "$l")
	pkg=$(dpkg -S "$l" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
	pkg=$(printf '%s' "$pkg" | head -n 1 | cut -d: -f1)
	[ -n "$pkg" ] || { echo "mkdeb: no package owns $l" >&2; exit 1; }
	case " $deps " in *" $pkg "*) continue ;; esac
	deps="$deps $pkg"
done
depends=""
for p in $(printf '%s\n' $deps | sort -u); do
	v=$(dpkg-query -W -f='${Version}' "$p")
	depends="${depends:+$depends, }$p (>= $v)"
done
mkdir -p "$stage/root/DEBIAN"
cat >"$stage/root/DEBIAN/control" <<EOC
Package: assay
Version: $version
Architecture: $arch
Maintainer: assay developers <assay@localhost>
Depends: $depends
Section: devel
Priority: optional
Description: measure which language model to ship for your own task
 Runs an evaluation suite against candidate models, grades every output,
 stores the results and reports honest statistics and a recommendation.
EOC
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$stage/root" "$out/assay_${version}_$arch.deb" >/dev/null
echo "$out/assay_${version}_$arch.deb"
