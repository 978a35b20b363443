#!/bin/sh
# wait until a TCP port accepts connections
host="$1"
port="$2"
timeout="${3:-30}"

while [ "$timeout" -gt 0 ]; do
    if nc -z "$host" "$port"; then
        echo "$host:$port is up"
        exit 0
    fi
    timeout=$((timeout - 1))
    sleep 1
done

echo "timed out waiting for $host:$port" >&2
exit 1
