"""Architecture diagrams generated from the offline plan.

build (plan -> nodes with placement + edges) -> views (the whole plan, or one diagram per area,
nested region -> VPC -> zone -> subnet) -> mermaid / drawio text.
"""
