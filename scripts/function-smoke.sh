#!/usr/bin/env bash
# Drives the Function sample (samples/Function) as a serverless host would: one process per invocation, an HTTP event
# as JSON on stdin. The second invocation sends the cookie the first set; the count must go up. Then a sign-out with a
# store, and the replayed cookie must start over. Usage: function-smoke.sh <command that runs the function>
set -euo pipefail
fn=("$@")
export SESSIONCONNECTOR_KEYS="1:$(head -c 32 /dev/urandom | base64)"
unset FUNCTION_SESSIONS FUNCTION_STORE

# The Cookie header a browser would send back: the name=value of every cookie the response set (deletions have no value).
cookies_of() { grep -oE '"[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+;' <<<"$1" | tr -d '";' | paste -sd';' || true; }
invoke() { printf '{"method":"POST","path":"%s","headers":{"cookie":"%s"}}' "$1" "$2" | "${fn[@]}"; }

r1=$(invoke /visit ""); echo "1: $r1"
grep -q '"body":"visits 1"' <<<"$r1"
c1=$(cookies_of "$r1"); [ -n "$c1" ]
r2=$(invoke /visit "$c1"); echo "2: $r2"
grep -q '"body":"visits 2"' <<<"$r2"

# With a store a sign-out holds: the cookie from before it is refused afterwards.
store=$(mktemp -d); trap 'rm -rf "$store"' EXIT
export FUNCTION_STORE="$store"
s1=$(invoke /visit ""); c=$(cookies_of "$s1")
s2=$(invoke /visit "$c"); grep -q '"body":"visits 2"' <<<"$s2"; c=$(cookies_of "$s2")
out=$(invoke /logout "$c"); echo "logout: $out"
grep -q 'Max-Age=0' <<<"$out"
s3=$(invoke /visit "$c"); echo "replayed: $s3"
grep -q '"body":"visits 1"' <<<"$s3"
echo "Function OK"
