#!/usr/bin/env bash
set -euo pipefail

usage() {
    echo "usage: $0 <environment> <version>" >&2
    exit 2
}

[ $# -eq 2 ] || usage
env="$1"
version="$2"

case "$env" in
    dev|staging)
        host="app-$env.internal"
        ;;
    prod)
        read -r -p "Deploy $version to prod? [y/N] " answer
        [ "$answer" = "y" ] || exit 1
        host="app.internal"
        ;;
    *)
        usage
        ;;
esac

ssh "deploy@$host" "sudo systemctl restart app@$version"
