# Sourced by .ci/run: make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are up,
# starting them when they are down, export PG_URL and REDIS_URL for the test suites, and fail
# when either cannot be reached: CI runs those suites, it never skips them.

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local _
  for _ in $(seq 1 100); do
    port_open "$1" && return 0
    sleep 0.2
  done
  return 1
}

echo "--- services: PostgreSQL and Redis"
if ! port_open 5432; then
  echo "PostgreSQL is down; starting it"
  for version in /etc/postgresql/*; do
    [[ -d "$version" ]] && pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
  done
fi
if ! port_open 6379; then
  echo "Redis is down; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_port 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
wait_port 6379 || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }

export PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

# An open port is not enough: log in and run a command, with the clients the tests use.
node --input-type=module -e "
  import pg from 'pg';
  import { createClient } from 'redis';
  const db = new pg.Client({ connectionString: process.env.PG_URL, connectionTimeoutMillis: 5000 });
  await db.connect();
  await db.query('SELECT 1');
  await db.end();
  const redis = createClient({ url: process.env.REDIS_URL });
  redis.on('error', () => {});
  await redis.connect();
  await redis.ping();
  await redis.quit();
" || { echo "cannot log in to PostgreSQL ($PG_URL) or Redis ($REDIS_URL)" >&2; exit 1; }
echo "PostgreSQL at $PG_URL, Redis at $REDIS_URL"
