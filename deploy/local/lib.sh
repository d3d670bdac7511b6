# shellcheck shell=bash
# Helpers shared by ./natres, deploy/local/infra.sh and deploy/local/web.sh; sourced, not run.
# The caller sets LOG_TAG (the word in "[infra 12:00:00] ..." lines) and keeps `set -euo pipefail`.

# Every script agrees on where the repo and the state live; the paths are relative to this file
# so that each script finds them whatever the current directory.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${NATRES_STATE_DIR:-$REPO/.state}"
# shellcheck disable=SC2034  # read by the scripts that source this file
LOGS="$STATE/logs"

log() { printf '[%s %s] %s\n' "${LOG_TAG:-natres}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Show the end of a log before failing: the reason is usually in its last lines.
die_tail() {
  local lines="$1" file="$2"; shift 2
  tail -n "$lines" "$file" >&2
  die "$@"
}

# The pid recorded in file $1, printed (status 0) only if that process is alive AND its command
# line contains $2: a pid recycled after a reboot or crash must never be signalled. Status 1,
# nothing printed, otherwise.
live_pid() {
  local file="$1" marker="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(head -n1 "$file" | tr -dc 0-9)"
  [[ -n "$pid" ]] || return 1
  for _ in 1 2 3; do
    kill -0 "$pid" 2>/dev/null || return 1
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
      echo "$pid"
      return 0
    fi
    # Between two exec calls (setsid -> nice -> java) the command line can be momentarily
    # unreadable: look again before calling the process someone else.
    sleep 0.1
  done
  return 1
}

# Start "$2..." detached in a session of its own and record ITS pid in $1. The process writes its
# pid itself just before exec: neither setsid forking (when the caller runs with job control, the
# background job leads its process group) nor the instants between exec calls can leave a wrong
# pid behind. The caller's redirections become the daemon's stdin/stdout/stderr.
launch() {
  local pidf="$1" i
  shift
  rm -f "$pidf"
  # shellcheck disable=SC2016  # $$, $0 and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" &
  for ((i = 0; i < 200; i++)); do
    [[ -s "$pidf" ]] && return 0
    sleep 0.05
  done
  die "could not start $1: no pid recorded in $pidf"
}

# Wait up to $2 seconds for pid $1 to exit: status 0 once it has, 1 if it is still alive.
wait_exit() {
  local pid="$1" secs="$2" i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  ! kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# HTTP status of a GET (000 when nothing answers); $2 is the time limit in seconds [3].
http_code() { curl -s -o /dev/null -m "${2:-3}" -w '%{http_code}' "$1" 2>/dev/null || true; }
http_ok() { [[ "$(http_code "$@")" == 200 ]]; }

# Checksums stamp what an artifact was made from, so it is rebuilt only when that changes.
file_sum() { sha256sum "$1" | cut -d' ' -f1; }
stamp_of() { cat "$1" 2>/dev/null || true; }  # empty when never stamped

# apt-get install those of the given Debian packages that are not installed yet.
apt_ensure() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The usage text of the calling script: its header comment lines $1..$2 without the "# ".
usage_from_header() {
  sed -n "$1,$2p" "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

# One status line in the layout every script prints ("kafka     up    pid 123     port ...").
status_up() { printf '%-9s up    pid %-7s port %s  %s\n' "$1" "$2" "$3" "$4"; }
status_down() { printf '%-9s down  pid %-7s port %s\n' "$1" "${2:--}" "$3"; return 3; }
