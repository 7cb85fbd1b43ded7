#!/bin/sh
# A test provider program: promptfoo's exec convention (prompt, options
# JSON, context JSON as arguments; the prompt also on stdin).
prompt_arg=$1
stdin=$(cat)
case "$stdin" in
	*fail*) echo "refusing on purpose" >&2; exit 3 ;;
	*sleep*) sleep 5 ;;
	*silent*) echo "only stderr" >&2; exit 0 ;;
esac
# Report what arrived: lengths show whether the prompt came as an
# argument, and the context's vars prove the JSON argument.
printf 'arg=%s stdin=%s ctx=%s\n' "${#prompt_arg}" "${#stdin}" "$3"
