#!/bin/sh
# Container entrypoint: size the uvicorn worker pool from the container's own limits, then
# exec uvicorn so it is PID 1 and receives SIGTERM from `docker stop` directly.
#
# Every tunable comes from the environment:
#   APP_MODULE            ASGI app                               (src.main:app)
#   HOST, PORT            bind address                           (0.0.0.0, 8000)
#   WORKERS               a number, or "auto"                    (auto)
#   WORKERS_PER_CPU       auto: workers per CPU of quota         (1)
#   WORKER_MEMORY_MB      auto: resident memory of one worker    (120)
#   MEMORY_RESERVE_MB     auto: kept for the supervisor process  (40)
#   MEMORY_LIMIT_MB       auto: overrides the cgroup memory limit
#   LOG_LEVEL             uvicorn log level                      (info)
#   UVICORN_LOOP          auto|asyncio|uvloop                    (uvloop)
#   UVICORN_HTTP          auto|h11|httptools                     (httptools)
#   BACKLOG               listen backlog                         (2048)
#   LIMIT_CONCURRENCY     max concurrent connections, 0 = none   (1000)
#   LIMIT_MAX_REQUESTS    recycle a worker after N requests, 0 = never (0)
#   TIMEOUT_KEEP_ALIVE    seconds                                (5)
#   TIMEOUT_GRACEFUL_SHUTDOWN  seconds, 0 = wait forever         (20)
#   FORWARDED_ALLOW_IPS   trust X-Forwarded-* from these         (unset: uvicorn's default)
#   ACCESS_LOG            1/0                                    (1)
#   CGROUP_ROOT           where cgroupfs is mounted (tests)      (/sys/fs/cgroup)
# Arguments starting with "-" are appended to uvicorn's; any other command runs instead of
# uvicorn (e.g. `docker run IMAGE alembic upgrade head`).
set -eu

log() { printf 'dockperf-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 64; }

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
    exec "$@"
fi

: "${APP_MODULE:=src.main:app}"
: "${HOST:=0.0.0.0}"
: "${PORT:=8000}"
: "${WORKERS:=auto}"
: "${WORKERS_PER_CPU:=1}"
# One worker's resident memory in MiB. 120 is a hand measurement of the optimized image (FastAPI
# + langgraph + SQLAlchemy imported). bench measures it on every run: `runtime.worker_memory_bytes`
# of the variant in reports/metrics.json ("Memory/worker" in bench.md) is the median RSS of the
# worker processes after its load, in whole MiB; set WORKER_MEMORY_MB to it / 1048576 (plus any
# headroom real traffic needs). bench passes its figure to the containers it starts afterwards.
: "${WORKER_MEMORY_MB:=120}"
: "${MEMORY_RESERVE_MB:=40}"
: "${LOG_LEVEL:=info}"
: "${UVICORN_LOOP:=uvloop}"
: "${UVICORN_HTTP:=httptools}"
: "${BACKLOG:=2048}"
: "${LIMIT_CONCURRENCY:=1000}"
# The seed's MAX_REQUESTS is read as a fallback so its compose files keep working. Off by
# default: bench measured recycling every 1000 requests at 325 requests/s against 2372 without
# (each new worker imports the app again, ~1.5 s); turn it on only against a real leak.
: "${LIMIT_MAX_REQUESTS:=${MAX_REQUESTS:-0}}"
: "${TIMEOUT_KEEP_ALIVE:=5}"
: "${TIMEOUT_GRACEFUL_SHUTDOWN:=20}"
: "${ACCESS_LOG:=1}"
: "${CGROUP_ROOT:=/sys/fs/cgroup}"

is_uint() {
    case "$1" in
        '' | *[!0-9]*) return 1 ;;
        *) return 0 ;;
    esac
}

for name in PORT WORKERS_PER_CPU WORKER_MEMORY_MB MEMORY_RESERVE_MB BACKLOG LIMIT_CONCURRENCY \
    LIMIT_MAX_REQUESTS TIMEOUT_KEEP_ALIVE TIMEOUT_GRACEFUL_SHUTDOWN; do
    eval "value=\${$name}"
    is_uint "$value" || die "$name must be a non-negative integer, got '$value'"
done
[ "$WORKER_MEMORY_MB" -gt 0 ] || die "WORKER_MEMORY_MB must be greater than 0"
[ "$WORKERS_PER_CPU" -gt 0 ] || die "WORKERS_PER_CPU must be greater than 0"

read_first_line() {
    # Prints the file's first line, or nothing when it is missing or unreadable.
    [ -r "$1" ] && IFS= read -r line <"$1" && printf '%s' "$line"
    return 0
}

# CPU limit in thousandths of a CPU, or empty when there is none. cgroup v2 has
# "<quota|max> <period>" in cpu.max; v1 has cfs_quota_us (-1 = none) and cfs_period_us.
cpu_limit_millis() {
    if [ -f "$CGROUP_ROOT/cgroup.controllers" ]; then
        set -- $(read_first_line "$CGROUP_ROOT/cpu.max")
        quota=${1:-max}
        period=${2:-100000}
    else
        dir=
        for candidate in "$CGROUP_ROOT/cpu" "$CGROUP_ROOT/cpu,cpuacct" "$CGROUP_ROOT/cpuacct,cpu"; do
            if [ -r "$candidate/cpu.cfs_quota_us" ]; then
                dir=$candidate
                break
            fi
        done
        [ -n "$dir" ] || return 0
        quota=$(read_first_line "$dir/cpu.cfs_quota_us")
        period=$(read_first_line "$dir/cpu.cfs_period_us")
    fi
    is_uint "$quota" && is_uint "$period" && [ "$period" -gt 0 ] || return 0
    echo $((quota * 1000 / period))
}

# Memory limit in MiB, or empty when there is none. v2: memory.max ("max" = none). v1:
# memory.limit_in_bytes, where "no limit" is a huge page-rounded number rather than a word.
memory_limit_mb() {
    if [ -f "$CGROUP_ROOT/cgroup.controllers" ]; then
        raw=$(read_first_line "$CGROUP_ROOT/memory.max")
    else
        raw=$(read_first_line "$CGROUP_ROOT/memory/memory.limit_in_bytes")
    fi
    is_uint "$raw" || return 0
    # Beyond 2^50 bytes (1 PiB) is v1's "unlimited" (0x7FFFFFFFFFFFF000).
    [ "${#raw}" -lt 16 ] || return 0
    echo $((raw / 1048576))
}

fmt_cpus() {
    # 1500 -> 1.50
    printf '%d.%02d' $(($1 / 1000)) $((($1 % 1000) / 10))
}

if [ "$WORKERS" = "auto" ]; then
    # nproc honours the cpuset (--cpuset-cpus) but not a CFS quota (--cpus): it is the upper
    # bound and the fallback, never the answer when a quota exists.
    cores=$(nproc 2>/dev/null || echo 1)
    cpu_millis=$(cpu_limit_millis)
    if [ -n "$cpu_millis" ] && [ "$cpu_millis" -lt $((cores * 1000)) ]; then
        cpu_desc=$(fmt_cpus "$cpu_millis")
    else
        cpu_millis=$((cores * 1000))
        cpu_desc="none(nproc=$cores)"
    fi
    # Round a fractional quota up: 0.5 CPU still needs one worker, 1.5 CPUs use two.
    cpu_workers=$(((cpu_millis * WORKERS_PER_CPU + 999) / 1000))

    if [ -n "${MEMORY_LIMIT_MB:-}" ]; then
        is_uint "$MEMORY_LIMIT_MB" || die "MEMORY_LIMIT_MB must be an integer, got '$MEMORY_LIMIT_MB'"
        mem_mb=$MEMORY_LIMIT_MB
    else
        mem_mb=$(memory_limit_mb)
    fi
    WORKERS=$cpu_workers
    if [ -n "$mem_mb" ]; then
        # The supervisor (when there are several workers) and the page cache need some room;
        # the OOM killer takes a worker when the pool outgrows the limit.
        mem_workers=$(((mem_mb - MEMORY_RESERVE_MB) / WORKER_MEMORY_MB))
        [ "$mem_workers" -lt "$WORKERS" ] && WORKERS=$mem_workers
    fi
    [ "$WORKERS" -ge 1 ] || WORKERS=1
    log "workers=$WORKERS (cpu_limit=$cpu_desc, memory_limit_mb=${mem_mb:-unlimited}," \
        "per_worker_mb=$WORKER_MEMORY_MB)"
else
    is_uint "$WORKERS" && [ "$WORKERS" -ge 1 ] || die "WORKERS must be 'auto' or a positive integer, got '$WORKERS'"
    log "workers=$WORKERS (set by WORKERS)"
fi

set -- "$APP_MODULE" \
    --host "$HOST" \
    --port "$PORT" \
    --workers "$WORKERS" \
    --loop "$UVICORN_LOOP" \
    --http "$UVICORN_HTTP" \
    --backlog "$BACKLOG" \
    --timeout-keep-alive "$TIMEOUT_KEEP_ALIVE" \
    --log-level "$LOG_LEVEL" \
    "$@"
if [ "$TIMEOUT_GRACEFUL_SHUTDOWN" -gt 0 ]; then
    set -- "$@" --timeout-graceful-shutdown "$TIMEOUT_GRACEFUL_SHUTDOWN"
fi
if [ "$LIMIT_CONCURRENCY" -gt 0 ]; then
    set -- "$@" --limit-concurrency "$LIMIT_CONCURRENCY"
fi
# Recycling needs a supervisor to start the replacement: with a single worker uvicorn runs
# without one, and --limit-max-requests would stop the whole server after N requests.
if [ "$LIMIT_MAX_REQUESTS" -gt 0 ] && [ "$WORKERS" -gt 1 ]; then
    set -- "$@" --limit-max-requests "$LIMIT_MAX_REQUESTS"
fi
if [ -n "${FORWARDED_ALLOW_IPS:-}" ]; then
    set -- "$@" --proxy-headers --forwarded-allow-ips "$FORWARDED_ALLOW_IPS"
fi
if [ "$ACCESS_LOG" = "0" ]; then
    set -- "$@" --no-access-log
fi

exec uvicorn "$@"
