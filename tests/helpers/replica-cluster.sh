#!/usr/bin/env bash
# Makes sure a PostgreSQL streaming replica of the local cluster (127.0.0.1:5432) runs on this
# machine, for the read-replica tests: a second cluster made with pg_createcluster, filled by
# pg_basebackup -R (which also writes its standby settings), on its own port. Idempotent: a
# replica that already streams is left as it is; one that is stopped is started; anything else is
# made again. Needs root (it writes pg_hba.conf and runs PostgreSQL's tools as postgres).
#
#   tests/helpers/replica-cluster.sh            # port 5433, cluster name cardfile_replica
#   REPLICA_PORT=5435 tests/helpers/replica-cluster.sh
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
NAME=${REPLICA_CLUSTER:-cardfile_replica}

fail() { echo "replica-cluster: $*" >&2; exit 1; }

command -v pg_createcluster >/dev/null || fail "pg_createcluster not found (Debian's postgresql-common)"
VERSION=$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc "show server_version_num" 2>/dev/null | cut -c1-2) ||
  fail "the primary on 127.0.0.1:$PRIMARY_PORT does not answer"
[ -n "$VERSION" ] || fail "the primary on 127.0.0.1:$PRIMARY_PORT does not answer"
PRIMARY=$(pg_lsclusters -h | awk -v port="$PRIMARY_PORT" '$3 == port { print $2 }' | head -1)
[ -n "$PRIMARY" ] || fail "no local cluster listens on port $PRIMARY_PORT"
CONF_DIR=/etc/postgresql/$VERSION
DATA_DIR=/var/lib/postgresql/$VERSION/$NAME

as_postgres() { runuser -u postgres -- "$@"; }

streaming() {
  [ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -tAc 'select pg_is_in_recovery()' 2>/dev/null)" = t ] &&
    [ "$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc \
      "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null)" -gt 0 ]
}

wait_until() { # wait_until SECONDS COMMAND...
  local seconds=$1; shift
  for _ in $(seq 1 $((seconds * 4))); do "$@" && return 0; sleep 0.25; done
  return 1
}

# The primary must accept replication connections from loopback (trust, like the rest here).
HBA=$CONF_DIR/$PRIMARY/pg_hba.conf
if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$HBA"; then
  echo "host replication all 127.0.0.1/32 trust" >>"$HBA"
  psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qtAc "select pg_reload_conf()" >/dev/null
fi

if pg_lsclusters -h | awk -v name="$NAME" -v version="$VERSION" '$1 == version && $2 == name' | grep -q .; then
  if streaming; then
    # A test that paused replay and did not get to resume it must not leave the replica behind.
    psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -qtAc \
      "select pg_wal_replay_resume() where pg_is_wal_replay_paused()" >/dev/null
    echo "replica $NAME streams on port $REPLICA_PORT"; exit 0
  fi
  if [ -f "$DATA_DIR/standby.signal" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start 2>/dev/null || true
    if wait_until 30 streaming; then echo "replica $NAME started on port $REPLICA_PORT"; exit 0; fi
  fi
  echo "replica $NAME does not stream: making it again" >&2
  pg_dropcluster --stop "$VERSION" "$NAME" || fail "could not remove the broken cluster $NAME"
fi

pg_createcluster -p "$REPLICA_PORT" "$VERSION" "$NAME" >/dev/null || fail "pg_createcluster failed"
# Clients reach the replica as they reach the primary.
cp "$HBA" "$CONF_DIR/$NAME/pg_hba.conf"
# The data directory is replaced by a copy of the primary's; the cluster's own configuration
# (port, paths, log) in /etc/postgresql stays.
find "$DATA_DIR" -mindepth 1 -delete
as_postgres pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA_DIR" -R -X stream -c fast ||
  fail "pg_basebackup from port $PRIMARY_PORT failed"
pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start || fail "the replica did not start (see /var/log/postgresql/postgresql-$VERSION-$NAME.log)"
wait_until 60 streaming || fail "the replica started but does not stream from port $PRIMARY_PORT"
echo "replica $NAME made and streaming on port $REPLICA_PORT"
