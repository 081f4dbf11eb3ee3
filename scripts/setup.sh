#!/usr/bin/env bash
# Installs what User Sync needs on Debian/Ubuntu, skipping what is already there.
#   scripts/setup.sh          build + run the app
#   scripts/setup.sh --test   also what the test suite needs (D-Bus, gnome-keyring)
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Runtime libraries the GUI loads (X11/Wayland, GL, fonts) and the keyring service.
pkgs=(ca-certificates curl gcc libc6-dev pkg-config)
pkgs+=(libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1)
if [ "$want_test" = 1 ]; then
    pkgs+=(dbus dbus-daemon gnome-keyring)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "Please install: ${missing[*]}" >&2
        exit 1
    fi
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
    if [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    else
        echo "Rust is not installed: install it from rustup (https://rustup.rs), then rerun." >&2
        exit 1
    fi
fi
if [ "$want_test" = 1 ] && command -v rustup >/dev/null; then
    for c in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
fi
