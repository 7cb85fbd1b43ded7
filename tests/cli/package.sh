#!/bin/sh
# package.sh — `make install`/`uninstall` into a staging DESTDIR put the
# binary, the man page and both completions in place and take them away
# again; scripts/mkdeb.sh builds a .deb whose Depends name the packages of
# the libraries assay links and of those it dlopen()s (libcurl, libxml2,
# libmicrohttpd, libpq), with the files in it.
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$R" install-files BIN="$ASSAY" DESTDIR="$T/stage" PREFIX=/usr >"$T/inst.out" 2>&1
check package_install_exit_0 0 $?
n=0
for f in bin/assay share/man/man1/assay.1 share/bash-completion/completions/assay share/zsh/vendor-completions/_assay; do
	[ -f "$T/stage/usr/$f" ] && n=$((n+1))
done
check package_install_files 4 $n
check package_installed_runs "$("$ASSAY" --version)" "$("$T/stage/usr/bin/assay" --version)"
make -s -C "$R" uninstall DESTDIR="$T/stage" PREFIX=/usr >/dev/null 2>&1
check package_uninstall_removes 0 "$(find "$T/stage" -type f | wc -l)"

if ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "skip package_deb (dpkg-deb not installed)"
	exit 0
fi
deb=$(sh "$R/scripts/mkdeb.sh" "$ASSAY" "$T/deb" 2>"$T/deb.err")
check package_deb_built 0 $?
dep=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libcurl4 libxml2 libmicrohttpd12 libpq5 libsqlite3-0 libyaml-0-2; do
	case "$dep" in *"$p ("*) ok "package_deb_depends_$p" ;; *) fail "package_deb_depends_$p" "Depends: $dep" ;; esac
done
check package_deb_no_fallback_curl "" "$(printf '%s' "$dep" | grep -o libcurl3-gnutls)"
check package_deb_has_man 1 "$(dpkg-deb -c "$deb" | grep -c 'usr/share/man/man1/assay.1$')"
