#!/usr/bin/env bash
# Drives a published samples/WebApi binary with curl and a cookie jar, as a browser would: /me before login (401), login, three increments,
# whoami, logout, then replays the pre-logout cookie, which must get 401. Used by scripts/aot-gate.sh.
# Usage: webapi-smoke.sh path/to/WebApi
set -euo pipefail
bin=$(realpath "$1")
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
key=$(head -c 32 /dev/urandom | base64 -w0)
# Production environment (the default): a key is required, so pass one; plain HTTP on loopback, so no Secure flag.
(cd "$work" && SESSIONCONNECTOR_KEYS="*1:$key" SessionConnector__Cookie__SecurePolicy=None ASPNETCORE_URLS="$base" exec "$bin") >"$work/app.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 100); do curl -fs "$base/ping" >/dev/null 2>&1 && break; sleep 0.05; done
fail() { echo "FAIL: $*"; echo "--- app log"; cat "$work/app.log"; exit 1; }
call() { curl -s -o "$work/body" -w "%{http_code}" -c "$work/jar" -b "$work/jar" "$@"; }

# /me is the block lambda of issue 22 whose return type the request delegate generator could not see (SCG030): an
# empty 200 here means its IResult was discarded.
me=$(call "$base/me")
[ "$me" = 401 ] || fail "/me without a session got $me (body '$(cat "$work/body")'), expected 401"
[ "$(call -X POST "$base/login?user=ada")" = 200 ] || fail "login"
grep -q "hello ada" "$work/body" || fail "login body: $(cat "$work/body")"
[ "$(call "$base/me")" = 200 ] && [ "$(cat "$work/body")" = ada ] || fail "/me after login: $(cat "$work/body")"
for expected in 1 2 3; do
  [ "$(call -X POST "$base/counter")" = 200 ] || fail "increment $expected"
  [ "$(cat "$work/body")" = "$expected" ] || fail "increment $expected returned $(cat "$work/body")"
done
[ "$(call "$base/whoami")" = 200 ] && [ "$(cat "$work/body")" = ada ] || fail "whoami after login"
cp "$work/jar" "$work/old-jar"
[ "$(call -X POST "$base/logout")" = 204 ] || fail "logout"
replay=$(curl -s -o /dev/null -w "%{http_code}" -b "$work/old-jar" "$base/whoami")
[ "$replay" = 401 ] || fail "replayed cookie after logout got $replay, expected 401"

# Principals: three devices of one user (three cookie jars), the list, end one by handle, then sign out everywhere.
login_as() { curl -s -o /dev/null -w "%{http_code}" -c "$work/$1" -b "$work/$1" -A "$2" -X POST "$base/login?user=grace"; }
for device in laptop phone tablet; do [ "$(login_as "$device" "$device-agent")" = 200 ] || fail "login on $device"; done
on() { curl -s -o "$work/body" -w "%{http_code}" -c "$work/$1" -b "$work/$1" "${@:2}"; }
[ "$(on laptop "$base/sessions")" = 200 ] || fail "/sessions on laptop"
[ "$(grep -c . "$work/body")" = 3 ] || fail "/sessions listed $(grep -c . "$work/body") sessions, expected 3: $(cat "$work/body")"
grep -q "laptop-agent.*current" "$work/body" || fail "/sessions does not mark the laptop current: $(cat "$work/body")"
phone_handle=$(grep "phone-agent" "$work/body" | cut -f1)
[ "$(on laptop -X POST "$base/sessions/$phone_handle/end")" = 204 ] || fail "ending the phone's session"
[ "$(on phone "$base/whoami")" = 401 ] || fail "the ended phone session still answered"
[ "$(on tablet "$base/whoami")" = 200 ] || fail "the tablet was signed out by ending the phone"
[ "$(on laptop -X POST "$base/signout-everywhere")" = 204 ] || fail "sign out everywhere"
[ "$(on tablet "$base/whoami")" = 401 ] || fail "the tablet still answered after sign out everywhere"
[ "$(on laptop "$base/whoami")" = 401 ] || fail "the laptop still answered after sign out everywhere"
[ "$(login_as laptop laptop-agent)" = 200 ] && [ "$(on laptop "$base/whoami")" = 200 ] || fail "signing in again after sign out everywhere"
echo "WebApi OK: /me without a session -> 401, login, /me, 3 increments (1 2 3), whoami, logout, replayed cookie -> 401;" \
  "3 devices listed, one ended by handle, sign out everywhere -> 401 on every device, sign in again"
