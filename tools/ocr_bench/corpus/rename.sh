#!/usr/bin/env bash
# rename photos to their modification date
shopt -s nullglob

for file in *.jpg *.jpeg; do
    stamp=$(date -r "$file" +%Y%m%d_%H%M%S)
    target="${stamp}.jpg"

    if [[ -e "$target" ]]; then
        echo "skip $file: $target exists"
        continue
    fi

    mv -- "$file" "$target"
done
