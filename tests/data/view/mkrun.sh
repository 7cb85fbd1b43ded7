#!/bin/sh
# mkrun.sh DIR — the run the `assay view` tests browse: tests/data/report's
# two mock models over 60 cases (five outputs and one label are XSS
# payloads), stored in DIR/.assay/assay.db.  Needs $ASSAY and lib.sh's
# start_mock (sourced by the caller).
R=$(cd "$(dirname "$0")/../../.." && pwd)
D="$R/tests/data/report"
cp "$D/suite.yaml" "$1/"
{
	echo "__description,q,__metadata:tags[]"
	for i in $(seq 1 55); do echo "case $i,question $i,$([ $((i % 5)) -eq 0 ] && echo fives || echo plain)"; done
	for i in 1 2 3 4 5; do echo "payload $i,xss$i,xss"; done
} >"$1/cases.csv"
(cd "$1" && "$ASSAY" run suite.yaml -j 4 --no-progress-bar --no-table >run.out 2>&1)
