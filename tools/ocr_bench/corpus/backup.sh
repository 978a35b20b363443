#!/usr/bin/env bash
set -euo pipefail

SOURCE="${1:-/var/www}"
TARGET="/backups/$(date +%Y-%m-%d)"
KEEP=7

mkdir -p "$TARGET"
tar -czf "$TARGET/site.tar.gz" -C "$SOURCE" .

# remove old backups
count=0
for dir in $(ls -1d /backups/* | sort -r); do
    count=$((count + 1))
    if [ "$count" -gt "$KEEP" ]; then
        echo "removing $dir"
        rm -rf "$dir"
    fi
done

echo "backup written to $TARGET"
