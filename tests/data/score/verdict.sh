#!/bin/sh
# Test scorer: passes when the output on stdin mentions Paris; echoes the
# whole request to stderr when asked (to check the stdin JSON).
input=$(cat)
case "$1" in
json) printf '%s\n' "$input" ; exit 0 ;;
fail) echo "scorer broke: bad config" >&2 ; exit 3 ;;
sleep) sleep 5 ; echo true ; exit 0 ;;
number) echo "$2" ; exit 0 ;;
garbage) echo "hello there" ; exit 0 ;;
object) echo '{"pass": false, "score": 0.25, "reason": "too vague"}' ; exit 0 ;;
esac
case "$input" in
*Paris*) echo true ;;
*) echo false ;;
esac
