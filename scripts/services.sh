#!/usr/bin/env bash
# System services the test suites need, sourced by scripts/test.sh (and usable on its own:
# `source scripts/services.sh`): one PostgreSQL server for the dual-dialect server suite, and
# Debian's Chromium for the client's browser suite, and the Redis and OpenLDAP server binaries
# that the scale-out and directory suites start privately on loopback. It exports
# BULWARK_TEST_DATABASE_URL, BULWARK_CHROMIUM, BULWARK_REDIS_SERVER and BULWARK_SLAPD and fails
# loudly when it cannot provide them: no suite is skipped in CI.
#
# Chromium: BULWARK_CHROMIUM when it names an executable, else /usr/bin/chromium, installed from
# Debian's `chromium` package when missing (never a browser downloaded by a test tool).
#
# - A server already named by BULWARK_TEST_DATABASE_URL that answers is used as it is.
# - Otherwise a private cluster is kept in ${BULWARK_PG_DIR:-${TMPDIR:-/tmp}/bulwark-test-pg},
#   listening on 127.0.0.1:${BULWARK_PG_PORT:-54329} and a socket in that folder only. The
#   Debian `postgresql` package is installed when no server binaries are found.
# - Idempotent and quick when the cluster already runs; the server is started detached
#   (pg_ctl, output to a log file) so it never holds the test run's terminal or pipes open.

_bw_say() { printf 'services: %s\n' "$*" >&2; }

# Installs a Debian package as root; otherwise says what to do instead ($2: what is missing,
# $3: the variable that names an existing one).
_bw_apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    _bw_say "ERROR: $2 and not root: install Debian's '$1' package or set $3"
    return 1
  fi
  _bw_say "installing $1 (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || { _bw_say "ERROR: apt-get update failed"; return 1; }
  apt-get install -y -qq "$1" >/dev/null || { _bw_say "ERROR: apt-get install $1 failed"; return 1; }
}

bulwark_services_main() {
  local port="${BULWARK_PG_PORT:-54329}"
  local base="${BULWARK_PG_DIR:-${TMPDIR:-/tmp}/bulwark-test-pg}"
  local data="$base/data" sock="$base/run" logfile="$base/server.log"
  local role=bulwark_test db=bulwark_test password=bulwark_test
  local url="postgres://$role:$password@127.0.0.1:$port/$db"

  _bw_die() {
    _bw_say "ERROR: $*"
    [ -f "$logfile" ] && tail -n 20 "$logfile" >&2
    return 1
  }

  # A database the caller chose, when it answers.
  if [ -n "${BULWARK_TEST_DATABASE_URL:-}" ] && command -v psql >/dev/null 2>&1 &&
    psql "$BULWARK_TEST_DATABASE_URL" -qtAc 'select 1' >/dev/null 2>&1; then
    _bw_say "using PostgreSQL at BULWARK_TEST_DATABASE_URL"
    return 0
  fi

  # Server binaries: pg_config's bindir, else the newest Debian cluster version.
  local bindir=""
  _bw_find_bindir() {
    bindir=""
    local v
    for v in $(ls -1 /usr/lib/postgresql 2>/dev/null | sort -rn); do
      if [ -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
        bindir="/usr/lib/postgresql/$v/bin"
        return 0
      fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
      bindir="$(dirname "$(command -v pg_ctl)")"
      return 0
    fi
    return 1
  }
  if ! _bw_find_bindir; then
    _bw_apt_install postgresql "no PostgreSQL server binaries" BULWARK_TEST_DATABASE_URL || return 1
    _bw_find_bindir || { _bw_die "PostgreSQL installed but its binaries were not found"; return 1; }
  fi

  # Who runs the server: initdb and postgres refuse to run as root.
  local runas=()
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir "$base" --shell /usr/sbin/nologin postgres ||
        { _bw_die "cannot create the postgres user"; return 1; }
    fi
    # Run from / so the postgres user never needs access to the caller's working folder.
    runas=(env -C / runuser -u postgres --)
  fi

  mkdir -p "$base"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$base"; fi
  chmod 700 "$base"

  if ! "$bindir/pg_isready" -q -h "$sock" -p "$port" 2>/dev/null; then
    if [ ! -s "$data/PG_VERSION" ]; then
      _bw_say "creating a private PostgreSQL cluster"
      rm -rf "$data"
      local pwfile="$base/initpw"
      printf '%s\n' "$password" >"$pwfile"
      if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
      "${runas[@]}" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 ||
        "${runas[@]}" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
          --pwfile="$pwfile" -E UTF8 --no-locale >"$base/initdb.log" 2>&1 ||
        { rm -f "$pwfile"; _bw_die "initdb failed (see $base/initdb.log)"; return 1; }
      rm -f "$pwfile"
    fi
    "${runas[@]}" mkdir -p "$sock"
    local pid="" state=""
    [ -f "$data/postmaster.pid" ] && pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    # A killed server can linger as a zombie that pg_ctl still counts as running.
    if [ -n "$state" ] && [ "${state#Z}" = "$state" ] &&
      "${runas[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      # Running but not answering yet (still starting or recovering): wait for it.
      local i
      for i in $(seq 1 30); do
        "$bindir/pg_isready" -q -h "$sock" -p "$port" 2>/dev/null && break
        sleep 1
      done
    else
      # Stale pid and socket lock files from a killed server would stop the start; no server
      # runs, so drop them.
      rm -f "$data/postmaster.pid" "$sock/.s.PGSQL.$port" "$sock/.s.PGSQL.$port.lock"
      _bw_say "starting PostgreSQL on 127.0.0.1:$port"
      # Durability is traded for speed: this cluster holds throw-away test data only.
      "${runas[@]}" "$bindir/pg_ctl" -D "$data" -l "$logfile" -w -t 60 -s \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start </dev/null >/dev/null 2>&1 || { _bw_die "PostgreSQL did not start"; return 1; }
    fi
    "$bindir/pg_isready" -q -h "$sock" -p "$port" || { _bw_die "PostgreSQL does not answer"; return 1; }
  fi

  local psql_admin=("${runas[@]}" "$bindir/psql" -h "$sock" -p "$port" -U postgres -d postgres -qtAX -v ON_ERROR_STOP=1)
  if [ "$("${psql_admin[@]}" -c "select 1 from pg_roles where rolname = '$role'")" != "1" ]; then
    "${psql_admin[@]}" -c "create role $role login password '$password' createdb" >/dev/null ||
      { _bw_die "cannot create role $role"; return 1; }
  fi
  if [ "$("${psql_admin[@]}" -c "select 1 from pg_database where datname = '$db'")" != "1" ]; then
    "${psql_admin[@]}" -c "create database $db owner $role" >/dev/null ||
      { _bw_die "cannot create database $db"; return 1; }
  fi
  "$bindir/psql" "$url" -qtAc 'select 1' >/dev/null 2>&1 ||
    { _bw_die "PostgreSQL runs but $url does not answer"; return 1; }
  export BULWARK_TEST_DATABASE_URL="$url"
  _bw_say "PostgreSQL ready: BULWARK_TEST_DATABASE_URL exported"
}

bulwark_chromium_main() {
  if [ -n "${BULWARK_CHROMIUM:-}" ] && [ -x "$BULWARK_CHROMIUM" ]; then
    _bw_say "using Chromium at BULWARK_CHROMIUM"
    return 0
  fi
  if [ ! -x /usr/bin/chromium ]; then
    _bw_apt_install chromium "no Chromium" BULWARK_CHROMIUM || return 1
  fi
  export BULWARK_CHROMIUM=/usr/bin/chromium
  _bw_say "Chromium ready: BULWARK_CHROMIUM exported"
}

# Redis and OpenLDAP: only the binaries are needed. Each suite starts its own private instance on a
# free loopback port in a temporary folder, so suites never share state and nothing listens after.
bulwark_daemons_main() {
  if [ -z "${BULWARK_REDIS_SERVER:-}" ] || [ ! -x "$BULWARK_REDIS_SERVER" ]; then
    if [ ! -x /usr/bin/redis-server ]; then
      _bw_apt_install redis-server "no redis-server" BULWARK_REDIS_SERVER || return 1
    fi
    export BULWARK_REDIS_SERVER=/usr/bin/redis-server
  fi
  if [ -z "${BULWARK_SLAPD:-}" ] || [ ! -x "$BULWARK_SLAPD" ]; then
    if [ ! -x /usr/sbin/slapd ]; then
      _bw_apt_install slapd "no slapd" BULWARK_SLAPD || return 1
    fi
    export BULWARK_SLAPD=/usr/sbin/slapd
  fi
  # A package install may start the system-wide daemons; the suites use private ones only.
  if [ "$(id -u)" -eq 0 ] && command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
    service slapd stop >/dev/null 2>&1 || true
  fi
  _bw_say "Redis and slapd ready: BULWARK_REDIS_SERVER and BULWARK_SLAPD exported"
}

if ! bulwark_services_main || ! bulwark_chromium_main || ! bulwark_daemons_main; then
  # Sourced: stop the caller (scripts/test.sh) too; run directly: exit non-zero.
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    unset -f bulwark_services_main bulwark_chromium_main bulwark_daemons_main _bw_say _bw_die _bw_find_bindir _bw_apt_install
    return 1 2>/dev/null || exit 1
  fi
  exit 1
fi
unset -f bulwark_services_main bulwark_chromium_main bulwark_daemons_main _bw_say _bw_die _bw_find_bindir _bw_apt_install
