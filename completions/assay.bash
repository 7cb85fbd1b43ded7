# bash completion for assay.  The commands and each command's flags are read
# from `assay --help` and `assay COMMAND --help` (assay starts in about 2 ms),
# so the completion never falls behind the binary.  Installed by `make install`
# into $(PREFIX)/share/bash-completion/completions/assay.
_assay()
{
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$("${COMP_WORDS[0]}" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
		COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	-o|--output|-c|--config|--db|--rules|--port-file|--env-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [ "${cur#-}" != "$cur" ]; then
		words=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _assay assay
