"""Inventory helpers."""

import json
from pathlib import Path


class Inventory:
    def __init__(self, path: Path):
        self.path = path
        self.items = {}

    def load(self):
        with open(self.path) as handle:
            for line in handle:
                if not line.strip():
                    continue
                item = json.loads(line)
                self.items[item["sku"]] = item

    def total(self) -> int:
        return sum(i["count"] for i in self.items.values())
