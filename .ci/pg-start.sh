#!/usr/bin/env bash
# pg-start.sh: start/stop a throwaway PostgreSQL for aeoledger's read-model tests (CI).
#
#   pg-start.sh install        apt-get install -y postgresql (Debian 12 -> PostgreSQL 15)
#   pg-start.sh start DIR      initdb into DIR/data, run postgres on 127.0.0.1:<free port>,
#                              unix socket in DIR/sock; prints `export AEOLEDGER_PG_DSN=...`
#   pg-start.sh stop DIR       stop the server and remove DIR
#
# In .ci/run:
#   .ci/pg-start.sh install            # or do the apt-get there
#   PGDIR=$(mktemp -d)
#   eval "$(.ci/pg-start.sh start "$PGDIR")"
#   trap '.ci/pg-start.sh stop "$PGDIR"' EXIT
#   go test -race ./...                # workers/readmodel and workers/listener use AEOLEDGER_PG_DSN
#
# Without AEOLEDGER_PG_DSN the Go tests start a private server the same way by themselves
# (workers/readmodel/pgtest), so the variable only saves startup time and shares one server.
# Each test creates and drops its own database on that server.
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user that the
# Debian package creates (runuser), and DIR is handed to that user.
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z "$d" ]]; then
    d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  fi
  [[ -x "$d/initdb" ]] || { echo "pg-start.sh: initdb not found; run: $0 install" >&2; exit 1; }
  echo "$d"
}

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd=${1:-}
case "$cmd" in
  install)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    # The Debian package starts a cluster on port 5432 through systemd/init when it can;
    # the tests do not use it.
    ;;
  start)
    dir=${2:?usage: $0 start DIR}
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    bin=$(bindir)
    port=$(free_port)
    as_pg mkdir -p "$dir/sock"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "-h 127.0.0.1 -p $port -k $dir/sock" \
      -l "$dir/postgres.log" -w -t 60 start >/dev/null
    echo "$port" >"$dir/port"
    echo "export AEOLEDGER_PG_DSN='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
    ;;
  stop)
    dir=${2:?usage: $0 stop DIR}
    if [[ -d "$dir/data" ]]; then
      as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
