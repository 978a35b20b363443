"""The dev cost floor (issue 19): the cheapest stack that still proves what dev must prove.

One ALB (hours, the usage profile's LCUs, its 2 public IPv4 addresses), one t4g.nano web
instance with an 8 GB gp3 root, one Fargate Spot task of 0.25 vCPU / 0.5 GB (x86, as dev's
task), and a minimal egress path (one public IPv4 address). Priced from the same
prices/eu.yaml and usage.yaml as `platformctl cost`, so a price change moves both sides.
"""

from __future__ import annotations

from platformctl.cost import HOURS_PER_MONTH as H
from platformctl.cost import load_prices, load_usage


def floor_estimate(region: str = "eu-west-1") -> tuple[float, str]:
    p = load_prices()["regions"][region]
    lcu = load_usage("dev")["alb"]["averageLcu"]
    spot, fargate = 1 - p["fargate"]["spotDiscount"], p["fargate"]["x86"]
    items = {
        "ALB": H * p["alb"]["hour"],
        "LCU": lcu * H * p["alb"]["lcuHour"],
        "ALB 2 IPv4": 2 * H * p["publicIpv4"]["hour"],
        "t4g.nano": H * p["ec2"]["t4g.nano"],
        "8 GB gp3": 8 * p["ebs"]["gp3GbMonth"],
        "Fargate Spot 0.25 vCPU/0.5 GB": H * spot * (0.25 * fargate["vcpuHour"] + 0.5 * fargate["gbHour"]),
        "egress IPv4": H * p["publicIpv4"]["hour"],
    }
    return round(sum(items.values()), 2), " + ".join(items)


if __name__ == "__main__":
    total, items = floor_estimate()
    print(f"${total:.2f}/month: {items}")
