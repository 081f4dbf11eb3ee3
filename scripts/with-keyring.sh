#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked, throwaway
# gnome-keyring, so the real Secret Service backend is used (tests, headless demos).
# Usage: scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
XDG_RUNTIME_DIR="$(mktemp -d)"
XDG_DATA_HOME="$(mktemp -d)"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR XDG_DATA_HOME
cleanup() { rm -rf "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME"; }
trap cleanup EXIT
exec_inner='
  printf %s throwaway-test-pass | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  gkd=$!
  # Wait until the daemon owns the Secret Service name (at most ~10 s).
  for _ in $(seq 1 50); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
         org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
      break
    fi
    sleep 0.2
  done
  rc=0; "$@" || rc=$?
  kill "$gkd" 2>/dev/null; wait "$gkd" 2>/dev/null || true
  exit $rc'
dbus-run-session -- bash -c "$exec_inner" with-keyring "$@"
