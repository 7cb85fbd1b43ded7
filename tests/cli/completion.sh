#!/bin/sh
# completion.sh — the bash completion offers every command `assay --help`
# lists and the flags of the command being completed; the zsh file parses;
# the man page documents every command.
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/bin" && ln -s "$ASSAY" "$T/bin/assay"
cmds=$("$ASSAY" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort | tr '\n' ' ')
comp() { # comp WORD... — what bash completes for the last word
	PATH="$T/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _assay; printf "%s\n" "${COMPREPLY[@]}"' sh "$R/completions/assay.bash" "$@"
}
got=$(comp assay "" | grep -v '^-' | sort | tr '\n' ' ')
check completion_bash_commands "$cmds" "$got"
check completion_bash_prefix "$(printf '%s\n' $cmds | grep '^ru' | tr '\n' ' ')" "$(comp assay ru | sort | tr '\n' ' ')"
check_grep completion_bash_run_flags_has_repeat '^--repeat$' "$(comp assay run --rep >"$T/f"; echo "$T/f")"
check completion_bash_no_flag_from_other_cmd "" "$(comp assay mock --rep)"
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$R/completions/_assay"
	check completion_zsh_parses 0 $?
else
	echo "skip completion_zsh_parses (zsh not installed)"
fi
missing=""
for c in $cmds; do
	grep -qE "^\\.B assay $c\$|^\\.SS \"?assay $c" "$R/docs/assay.1" || missing="$missing $c"
done
check completion_man_documents_every_command "" "$missing"
man_err=$(groff -man -Tutf8 -ww -z "$R/docs/assay.1" 2>&1 | head -3)
check completion_man_renders_cleanly "" "$man_err"
