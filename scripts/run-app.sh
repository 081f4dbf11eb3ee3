#!/usr/bin/env bash
# Sets up what is missing, builds User Sync (release) and opens it.
# Extra arguments go to usersync, e.g. `scripts/run-app.sh client list`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release --locked
exec target/release/usersync "$@"
