# Shared shell helpers of drydock's scripts (sourced, not run).
DRYDOCK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DRYDOCK_CACHE=${DRYDOCK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drydock}
DRYDOCK_DATA=${DRYDOCK_DATA_DIR:-$HOME/.drydock}
TEMPORAL_CLI_VERSIONS=${TEMPORAL_CLI_VERSIONS:-"v1.5.1 v1.5.0 v1.4.1"}

say() { echo "drydock: $*" >&2; }
die() { echo "drydock: $*" >&2; exit 1; }

# Prints the path of a usable Temporal CLI (PATH, then the cache), or nothing.
temporal_bin() {
  if [ -n "${DRYDOCK_TEMPORAL_BIN:-}" ] && [ -x "$DRYDOCK_TEMPORAL_BIN" ]; then echo "$DRYDOCK_TEMPORAL_BIN"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  local v
  for v in $TEMPORAL_CLI_VERSIONS; do
    if [ -x "$DRYDOCK_CACHE/temporal-${v#v}/temporal" ]; then echo "$DRYDOCK_CACHE/temporal-${v#v}/temporal"; return; fi
  done
}

# True when the Temporal frontend at $1 (host:port) answers.
temporal_up() {
  local bin; bin=$(temporal_bin)
  [ -n "$bin" ] && "$bin" operator cluster health --address "$1" >/dev/null 2>&1
}

# The search attributes drydock keeps current on each goal (name=type).
DRYDOCK_SEARCH_ATTRIBUTES="DrydockRepository=Keyword DrydockPhase=Keyword DrydockTokens=Int DrydockCostUsd=Double DrydockOutcome=Keyword"
