#!/usr/bin/env bash
# Sets up what is missing and runs the whole test suite: formatting, lints, and every
# test against the real OS keyring (Secret Service in a private D-Bus session).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

echo "== cargo fmt --check" >&2
cargo fmt --all --check
echo "== cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test (real Secret Service keyring)" >&2
USERSYNC_REQUIRE_KEYRING=1 scripts/with-keyring.sh cargo test --locked "$@"
