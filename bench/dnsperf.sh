#!/usr/bin/env bash
# Measure robur, NSD and Knot with dnsperf on the same generated zone, one server at a time.
#
# Every server listens on 127.0.0.1 on a free port, runs pinned to the same CPUs with the same
# number of threads, and is stopped after its run, also when the script fails or is interrupted.
# The script builds nothing: pass the robur binary (default build/release/cli/robur).
# It takes about RUNS x servers x (SECONDS + 2) seconds: 3.5 minutes with the defaults.
# Output: a markdown table with queries per second, average latency, loss and ratios.
set -euo pipefail

usage() {
    cat <<EOF
Usage: bench/dnsperf.sh [options] [ROBUR_BINARY]

Options:
  -d SECONDS    dnsperf run time per server in seconds (default: 20)
  -c CLIENTS    dnsperf clients, each with its own UDP socket (default: 4)
  -q QUERIES    dnsperf queries outstanding at once (default: 100)
  -Q QPS        dnsperf rate limit in queries per second (default: none)
  -t THREADS    threads (workers) of each server (default: 1)
  -s CPUS       CPU list for the servers, as taskset takes it (default: 1, or 0 on one CPU)
  -S CPUS       CPU list for dnsperf (default: 0)
  -n NAMES      owner names in the generated zone (default: 10000)
  -r RUNS       runs per server, alternating between servers; medians are reported (default: 3)
  -o SERVERS    comma-separated servers to measure (default: robur,nsd,knot)
  -k            keep the temporary folder with zone, configurations and logs
  -h            show this help

ROBUR_BINARY defaults to build/release/cli/robur below the source tree.
EOF
}

source_dir=$(cd "$(dirname "$0")/.." && pwd)
duration=20
clients=4
outstanding=100
rate_limit=
threads=1
server_cpus=1
client_cpus=0
names=10000
servers=robur,nsd,knot
runs=3
keep=0
if [ "$(nproc)" -lt 2 ]; then
    server_cpus=0
fi

while getopts "d:c:q:Q:t:s:S:n:r:o:kh" option; do
    case "$option" in
        d) duration=$OPTARG ;;
        c) clients=$OPTARG ;;
        q) outstanding=$OPTARG ;;
        Q) rate_limit=$OPTARG ;;
        t) threads=$OPTARG ;;
        s) server_cpus=$OPTARG ;;
        S) client_cpus=$OPTARG ;;
        n) names=$OPTARG ;;
        r) runs=$OPTARG ;;
        o) servers=$OPTARG ;;
        k) keep=1 ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
robur=${1:-$source_dir/build/release/cli/robur}
if [ $# -gt 1 ]; then
    usage >&2
    exit 2
fi

require_positive() {
    if ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $1 must be a positive integer, not '$2'" >&2
        exit 2
    fi
}
require_positive "-d" "$duration"
require_positive "-c" "$clients"
require_positive "-q" "$outstanding"
require_positive "-t" "$threads"
require_positive "-n" "$names"
require_positive "-r" "$runs"
if [ -n "$rate_limit" ]; then
    require_positive "-Q" "$rate_limit"
fi

# The zone generator and the port picker use only the Python standard library.
python=python3
for tool in "$python" nsd knotd dnsperf dig taskset git; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool not found; scripts/install-deps installs it" >&2
        exit 1
    fi
done

workdir=$(mktemp -d /tmp/robur-bench.XXXXXX)
server_pid=

stop_server() {
    if [ -z "$server_pid" ]; then
        return
    fi
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

cleanup() {
    stop_server
    if [ "$keep" -eq 1 ]; then
        echo "kept $workdir" >&2
    else
        rm -rf "$workdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" - <<'EOF'
import socket
for _ in range(50):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            print(port)
            break
EOF
}

origin=bench.test.
zone_file=$workdir/bench.test.zone
query_file=$workdir/queries.txt
"$python" "$source_dir/bench/gen_zone.py" --origin "$origin" --names "$names" \
    --zone-file "$zone_file" --query-file "$query_file"

# robur serves zones/bench.test.zone from the commit at the head of branch main.
robur_repo=$workdir/robur/repo
mkdir -p "$robur_repo/zones"
cp "$zone_file" "$robur_repo/zones/bench.test.zone"
git -C "$robur_repo" init -q -b main
git -C "$robur_repo" add -A
git -C "$robur_repo" -c user.name=bench -c user.email=bench@robur.invalid \
    commit -q -m "Add the benchmark zone"

start_robur() {
    local port=$1 dir=$workdir/robur
    if [ ! -x "$robur" ]; then
        echo "robur binary not found or not executable: $robur" > "$dir/server.log"
        return 1
    fi
    taskset -c "$server_cpus" "$robur" --repo "$robur_repo" serve dns \
        --listen "127.0.0.1:$port" --threads "$threads" > "$dir/server.log" 2>&1 &
    server_pid=$!
}

start_nsd() {
    local port=$1 dir=$workdir/nsd
    mkdir -p "$dir"
    cat > "$dir/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    port: $port
    zonesdir: "$dir"
    pidfile: "$dir/nsd.pid"
    database: ""
    username: ""
    chroot: ""
    xfrdfile: "$dir/xfrd.state"
    zonelistfile: "$dir/zone.list"
    xfrdir: "$dir"
    server-count: $threads
    reuseport: yes
    # Response rate limiting (on in Debian's build) would drop most benchmark queries, which
    # all come from 127.0.0.1.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "$origin"
    zonefile: "$zone_file"
EOF
    taskset -c "$server_cpus" nsd -d -c "$dir/nsd.conf" > "$dir/server.log" 2>&1 &
    server_pid=$!
}

start_knot() {
    local port=$1 dir=$workdir/knot
    mkdir -p "$dir"
    cat > "$dir/knot.conf" <<EOF
server:
    rundir: $dir
    listen: 127.0.0.1@$port
    udp-workers: $threads
    tcp-workers: $threads
    background-workers: 1
database:
    storage: $dir/db
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: $dir
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $origin
    file: $zone_file
EOF
    taskset -c "$server_cpus" knotd -c "$dir/knot.conf" > "$dir/server.log" 2>&1 &
    server_pid=$!
}

# Polls with SOA queries until the server returns an authoritative answer, for up to 60 s.
wait_until_answering() {
    local port=$1 deadline=$((SECONDS + 60)) answer
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            return 1
        fi
        answer=$(dig +tries=1 +time=1 +norec -p "$port" @127.0.0.1 "$origin" SOA 2>/dev/null) ||
            true
        if grep -q "status: NOERROR" <<<"$answer" && grep -q "flags: qr aa" <<<"$answer"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Prints the CPU time in clock ticks that a process and all its descendants have used. NSD
# processes queries in a grandchild process, while Knot and robur use threads, which
# /proc/PID/stat includes.
cpu_ticks() {
    local total fields child
    fields=$(cut -d ")" -f 2 "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    # After the command name: state is field 1, utime field 12 and stime field 13.
    total=$(awk '{ print $12 + $13 }' <<<"$fields")
    for child in $(pgrep -P "$1" || true); do
        total=$((total + $(cpu_ticks "$child")))
    done
    echo "$total"
}

# Prints "qps latency_ms lost_percent" from dnsperf output on standard input.
parse_dnsperf() {
    awk '
        /Queries per second:/ { qps = $4 }
        /Average Latency \(s\):/ { latency = $4 * 1000 }
        /Queries lost:/ { lost = $4; gsub(/[()%]/, "", lost) }
        END {
            if (qps == "") { exit 1 }
            printf "%s %.3f %s\n", qps, latency, lost
        }'
}

# Per server: space-separated values of every run (CPU use of the server in percent of one CPU),
# the response codes of the last run, and the reason it could not be measured.
declare -A qps_runs latency_runs lost_runs load_runs cpu_runs efficiency_runs rcodes failure
measure() {
    local server=$1 port
    port=$(free_port)
    load_runs[$server]+=" $(cut -d " " -f 1 /proc/loadavg)"
    if ! "start_$server" "$port" || ! wait_until_answering "$port"; then
        local log_tail
        log_tail=$(tail -n 3 "$workdir/$server/server.log" | tr '\n' ' ')
        failure[$server]="no authoritative response to SOA $origin; log: $log_tail"
        stop_server
        return
    fi

    local output=$workdir/$server/dnsperf.txt ticks_before ticks_after
    ticks_before=$(cpu_ticks "$server_pid")
    taskset -c "$client_cpus" dnsperf -s 127.0.0.1 -p "$port" -d "$query_file" -l "$duration" \
        -c "$clients" -q "$outstanding" ${rate_limit:+-Q "$rate_limit"} > "$output" 2>&1 || true
    ticks_after=$(cpu_ticks "$server_pid")
    stop_server
    local cpu_percent
    cpu_percent=$(awk -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" \
        -v seconds="$duration" 'BEGIN { printf "%.1f", 100 * ticks / hz / seconds }')
    cpu_runs[$server]+=" $cpu_percent"

    local values qps latency lost
    if ! values=$(parse_dnsperf < "$output"); then
        failure[$server]="dnsperf output not understood: $(head -n 5 "$output" | tr '\n' ' ')"
        return
    fi
    read -r qps latency lost <<<"$values"
    qps_runs[$server]+=" $qps"
    # Queries per second of server CPU time: comparable even when other processes take a share
    # of the server's CPU, which the load average column shows.
    efficiency_runs[$server]+=" $(awk -v qps="$qps" -v cpu="$cpu_percent" \
        'BEGIN { if (cpu > 0) printf "%.0f", qps * 100 / cpu; else print "n/a" }')"
    latency_runs[$server]+=" $latency"
    lost_runs[$server]+=" $lost"
    rcodes[$server]=$(sed -n 's/^ *Response codes: *//p' "$output")
}

# Prints the median, minimum and maximum of the numbers given as arguments.
statistics() {
    if [ $# -eq 0 ]; then
        echo "n/a n/a n/a"
        return
    fi
    printf "%s\n" "$@" | sort -g | awk '
        { value[NR] = $1 }
        END {
            middle = (NR % 2) ? value[(NR + 1) / 2] : (value[NR / 2] + value[NR / 2 + 1]) / 2
            printf "%.6g %.6g %.6g\n", middle, value[1], value[NR]
        }'
}

ratio() {
    awk -v a="$1" -v b="$2" '
        BEGIN {
            if (a == "" || b == "" || a == "n/a" || b == "n/a" || b == 0) { print "n/a" }
            else { printf "%.2f", a / b }
        }'
}

IFS=, read -r -a server_list <<<"$servers"
for server in "${server_list[@]}"; do
    case "$server" in
        robur | nsd | knot) ;;
        *) echo "error: unknown server '$server' (expected robur, nsd or knot)" >&2; exit 2 ;;
    esac
done

# Runs alternate between the servers, so a change in machine load spreads over all of them.
for run in $(seq "$runs"); do
    for server in "${server_list[@]}"; do
        if [ -z "${failure[$server]:-}" ]; then
            echo "run $run of $runs: $server" >&2
            measure "$server"
        fi
    done
done

declare -A qps_median latency_median efficiency_median
for server in "${server_list[@]}"; do
    # shellcheck disable=SC2086 # the run lists are space-separated numbers
    read -r qps_median[$server] _ _ <<<"$(statistics ${qps_runs[$server]:-})"
    # shellcheck disable=SC2086
    read -r latency_median[$server] _ _ <<<"$(statistics ${latency_runs[$server]:-})"
    # shellcheck disable=SC2086
    read -r efficiency_median[$server] _ _ <<<"$(statistics ${efficiency_runs[$server]:-})"
done

echo "| server | runs | queries/s: median (min-max) | avg latency ms | lost % (max) |" \
    "server CPU % | queries per server CPU second | queries/s robur/server |" \
    "per CPU second robur/server | load average at starts | response codes (last run) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for server in "${server_list[@]}"; do
    if [ -n "${failure[$server]:-}" ]; then
        echo "| $server | not measured: ${failure[$server]} | | | | | | | | | |"
        continue
    fi
    # shellcheck disable=SC2086
    read -r _ qps_min qps_max <<<"$(statistics ${qps_runs[$server]})"
    # shellcheck disable=SC2086
    read -r _ _ lost_max <<<"$(statistics ${lost_runs[$server]})"
    # shellcheck disable=SC2086
    read -r _ load_min load_max <<<"$(statistics ${load_runs[$server]})"
    # shellcheck disable=SC2086
    read -r cpu_median _ _ <<<"$(statistics ${cpu_runs[$server]})"
    echo "| $server | $runs | ${qps_median[$server]} ($qps_min-$qps_max) |" \
        "${latency_median[$server]} | $lost_max | $cpu_median | ${efficiency_median[$server]} |" \
        "$(ratio "${qps_median[robur]:-}" "${qps_median[$server]}") |" \
        "$(ratio "${efficiency_median[robur]:-}" "${efficiency_median[$server]}") |" \
        "$load_min-$load_max | ${rcodes[$server]} |"
done
echo
echo "dnsperf -l $duration -c $clients -q $outstanding${rate_limit:+ -Q $rate_limit} on CPUs" \
    "$client_cpus; servers with $threads thread(s) on CPUs $server_cpus; zone of $names names;" \
    "$runs run(s) per server; each column is the median of its own values over the runs."
