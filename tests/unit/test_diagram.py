"""The architecture graph and its Mermaid / draw.io renderings."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from offline.plan import Plan
from platformctl.diagrams.build import build_graph as build_nodes
from platformctl.diagrams.drawio import render as drawio
from platformctl.diagrams.mermaid import render as mermaid
from platformctl.diagrams.views import full
from tests.unit import sample_platform

ID = r"[A-Za-z][A-Za-z0-9_]*"
NODE = re.compile(rf"^\s*({ID})(\[\[|\[\(|\[/|\(\[|\(\(|\{{\{{|\(|\[|>)\"[^\"]*\"(\]\]|\)\]|/\]|\\\]|\]\)|\)\)|\}}\}}|\)|\])$")
SUBGRAPH = re.compile(rf"^\s*subgraph ({ID})\[\"[^\"]*\"\]$")
EDGE = re.compile(rf"^\s*({ID}) (-->|-\.->|~~~)(\|\"[^\"]*\"\|)? ({ID})$")
CLASS = re.compile(rf"^\s*(classDef {ID} [^ ]+|class ({ID}(,{ID})*) {ID})$")


def check_mermaid(text: str) -> dict:
    """Structural parse of our Mermaid subset: every line is a known statement, subgraphs balance,
    ids are valid and unique, and every edge and class endpoint is declared."""
    lines = text.splitlines()
    assert lines[0] in ("flowchart LR", "flowchart TB")
    depth, declared, groups, edges, stack, parents = 0, set(), set(), [], [], {}
    for number, line in enumerate(lines[1:], start=2):
        if m := SUBGRAPH.match(line):
            assert m.group(1) not in declared | groups, f"line {number}: duplicate id {m.group(1)}"
            groups.add(m.group(1))
            parents[m.group(1)] = stack[-1] if stack else None
            stack.append(m.group(1))
            depth += 1
        elif line.strip() == "end":
            depth -= 1
            stack.pop()
            assert depth >= 0, f"line {number}: 'end' without subgraph"
        elif m := NODE.match(line):
            assert m.group(1) not in declared | groups, f"line {number}: duplicate id {m.group(1)}"
            declared.add(m.group(1))
            parents[m.group(1)] = stack[-1] if stack else None
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(4), m.group(2)))
        elif m := CLASS.match(line):
            for ident in (m.group(2) or "").split(","):
                assert not ident or ident in declared, f"line {number}: class of undeclared {ident}"
        else:
            pytest.fail(f"line {number} is not a statement we emit: {line!r}")
    assert depth == 0, "unbalanced subgraph/end"
    for a, b, _ in edges:  # a subgraph can be an edge's end (the peering between two VPC boxes)
        assert a in declared | groups and b in declared | groups, f"edge {a} -> {b} has an undeclared endpoint"
    return {"nodes": declared, "groups": groups, "edges": edges, "parents": parents}


@pytest.fixture
def full_plan(build):
    return Plan(stack="test", mocks=build(sample_platform.full_platform), outputs={})


def build_graph(plan):
    """The whole plan as one picture (what `plan --format mermaid|drawio` draws)."""
    return full(build_nodes(plan))


def ancestors(parsed, ident):
    out, p = [], parsed["parents"].get(ident)
    while p:
        out.append(p)
        p = parsed["parents"].get(p)
    return out


def test_dev_diagram_is_one_region_with_vpc_and_subnets_per_az(dev_plan):
    graph = build_graph(dev_plan)
    parsed = check_mermaid(mermaid(graph))
    regions = [g for g in graph.groups if g.kind == "region"]
    assert [g.label for g in regions] == ["eu-west-1 (home region)"]
    azs = sorted(g.label for g in graph.groups if g.kind == "az")
    assert azs == ["eu-west-1a", "eu-west-1b"]
    # The Spot NAT is drawn as the NAT (its fixed interface, the routes' target) in its public subnet's
    # AZ, both private subnets route to it; its group of one is not a node of its own.
    (nat,) = [n for n in graph.nodes if n.kind == "nat"]
    assert nat.label == "NAT instance\nSpot, group of one" and nat.group == "network_vpc_eu_west_1a"
    assert not [n for n in graph.nodes if n.id.startswith("network_nat") and n.kind != "nat"]
    assert sorted(e.source for e in graph.edges if e.target == nat.id) == ["network_private_a", "network_private_b"]
    assert ancestors(parsed, "network_public_a") == ["network_vpc_eu_west_1a", "network_vpc_box", "region_eu_west_1"]
    # No IAM, routes or associations as nodes.
    assert {n.kind for n in graph.nodes} <= {"vpc", "subnet", "igw", "endpoint", "nat", "alb", "tg", "asg", "ecs", "ecr",
                                             "api", "lambda", "table", "bucket", "cdn", "topic", "queue", "sfn", "vault",
                                             "alarms", "instance", "files", "backupplan"}


def test_prod_diagram_has_two_regions_peer_vpc_and_peering_edge(prod_plan):
    graph = build_graph(prod_plan)
    parsed = check_mermaid(mermaid(graph))
    assert sorted(g.label for g in graph.groups if g.kind == "region") == ["eu-central-1 (peer region)",
                                                                          "eu-west-1 (home region)"]
    assert "region_eu_central_1" in ancestors(parsed, "peer_network_vpc")
    assert ("network_vpc", "peer_network_vpc", "-.->") in parsed["edges"]
    assert "peering" in mermaid(graph)
    nats = [n for n in graph.nodes if n.kind == "nat"]
    assert len(nats) == 3
    # Each private subnet egresses through the NAT of its own AZ.
    assert {(e.source, e.target) for e in graph.edges if e.target.startswith("network_nat")} == {
        (f"network_private_{s}", f"network_nat_{s}") for s in "abc"}


def test_components_are_related_through_ids_in_inputs(full_plan):
    graph = build_graph(full_plan)
    check_mermaid(mermaid(graph))
    edges = {(e.source, e.target): e for e in graph.edges}
    expected = {
        ("web_alb", "web_blue"), ("web_alb", "web_green"),  # listener forward actions
        ("web_blue", "web_blue_asg"), ("web_green", "web_green_asg"),  # ASG target_group_arns, flipped
        ("container_tg", "container_service"), ("container_repo", "container_service"),  # ECS service + image
        ("serverless_api", "serverless_api_lambda"),  # API Gateway integration uri -> invokeArn
        ("serverless_api_lambda", "serverless_table"), ("serverless_api_lambda", "messaging_topic"),  # environment
        ("serverless_cdn", "serverless_site"),  # CloudFront origin -> bucket regional domain
        ("messaging_topic", "messaging_queue"), ("messaging_queue", "messaging_worker"),  # subscription, ESM
        ("messaging_queue", "messaging_dlq"), ("messaging_alarms", "messaging_topic"),  # redrive, alarm actions
        ("network_vpc", "peer_network_vpc"),
    }
    assert expected <= set(edges), expected - set(edges)
    assert edges[("web_alb", "web_blue")].label == "HTTP:80 w100"
    assert edges[("messaging_queue", "messaging_dlq")].dashed  # no label: the node says DLQ
    labels = {n.id: n.label for n in graph.nodes}
    assert labels["web_blue_asg"].endswith("2 x t3.micro (1-4)")
    assert labels["messaging_dlq"].startswith("SQS DLQ")
    assert "(Spot)" in labels["container_service"]
    groups = {g.id: g for g in graph.groups}
    by_node = {n.id: groups[n.group].label for n in graph.nodes}
    assert by_node["web_alb"] == "public subnets eu-west-1a, b"
    assert by_node["web_blue_asg"] == by_node["container_service"] == "private subnets eu-west-1a, b"
    assert by_node["messaging_worker"] == "messaging · Messaging"
    assert [n.label for n in graph.nodes if n.kind == "alarms"] == ["CloudWatch alarms\n1 alarm"]


def test_drawio_is_well_formed_with_the_same_graph(full_plan, prod_plan):
    for plan in (full_plan, prod_plan):
        graph = build_graph(plan)
        root = ET.fromstring(drawio(graph))
        assert root.tag == "mxfile"
        cells = root.findall("./diagram/mxGraphModel/root/mxCell")
        ids = {c.get("id") for c in cells}
        assert len(ids) == len(cells)
        vertices = [c for c in cells if c.get("vertex") == "1"]
        containers = [c for c in vertices if "container=1" in c.get("style", "")]
        edges = [c for c in cells if c.get("edge") == "1"]
        assert len(vertices) - len(containers) == len(graph.nodes)
        assert len(containers) == len(graph.groups)
        assert len(edges) == len(graph.edges)
        for cell in cells[1:]:
            assert cell.get("parent") in ids
        for edge in edges:
            assert edge.get("source") in ids and edge.get("target") in ids
        for vertex in vertices:
            geometry = vertex.find("mxGeometry")
            assert int(geometry.get("width")) > 0 and int(geometry.get("height")) > 0


def test_rendering_is_deterministic(prod_plan):
    assert mermaid(build_graph(prod_plan)) == mermaid(build_graph(prod_plan))
    assert drawio(build_graph(prod_plan)) == drawio(build_graph(prod_plan))


@pytest.mark.parametrize(
    "broken",
    [
        'flowchart LR\n  subgraph g["x"]\n    a["a"]\n',  # no end
        'flowchart LR\n  a["a"]\n  a --> b\n',  # undeclared endpoint
        'flowchart LR\n  1a["a"]\n',  # invalid id
        'flowchart LR\n  a["a"]\n  a["again"]\n',  # duplicate
    ],
)
def test_the_structural_check_rejects_broken_mermaid(broken):
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_mermaid(broken)


@pytest.mark.parametrize("name,ident", [("web-alb", "web_alb"), ("1st", "n_1st"), ("end", "end_"), ("a..b", "a_b")])
def test_ids_are_valid_mermaid(name, ident):
    from platformctl.diagrams.graph import safe_id

    assert safe_id(name) == ident


MERMAID_TOOL = Path(__file__).resolve().parents[2] / "tools" / "mermaid"


@pytest.mark.skipif(not (MERMAID_TOOL / "node_modules" / "mermaid").is_dir() or not shutil.which("node"),
                    reason="mermaid parser not installed: `make test` runs npm ci --prefix tools/mermaid")
def test_mermaids_own_parser_accepts_the_diagrams(tmp_path, dev_plan, prod_plan, full_plan):
    files = []
    for name, plan in (("dev", dev_plan), ("prod", prod_plan), ("full", full_plan)):
        files.append(tmp_path / f"{name}.mmd")
        files[-1].write_text(mermaid(build_graph(plan)))
    files += sorted((MERMAID_TOOL.parents[1] / "docs" / "diagrams").glob("*-*.mmd"))  # the committed area diagrams
    broken = tmp_path / "broken.mmd"
    broken.write_text("flowchart LR\n  a -->\n")
    result = subprocess.run(["node", str(MERMAID_TOOL / "parse.mjs"), *map(str, files)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok flowchart") == len(files) >= 3 + 8
    # The check can fail: a broken diagram is rejected.
    result = subprocess.run(["node", str(MERMAID_TOOL / "parse.mjs"), str(broken)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and ": error Parse error" in result.stdout


def test_network_view_nests_zones_subnets_and_residents(prod_plan):
    from platformctl.diagrams.views import areas

    view = areas(build_nodes(prod_plan))["network"]
    parsed = check_mermaid(mermaid(view))
    groups = {g.id: g for g in view.groups}
    home_zones = [g.label for g in view.groups if g.kind == "az" and g.parent == "network_vpc_box"]
    assert home_zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    for zone in "abc":
        public, private = f"network_public_{zone}_box", f"network_private_{zone}_box"
        assert groups[public].parent == groups[private].parent == f"network_vpc_eu_west_1{zone}"
        assert parsed["parents"][f"network_nat_{zone}"] == public
        assert parsed["parents"][f"web_alb_network_public_{zone}"] == public
        for resident in ("web_blue_asg", "web_green_asg", "container_service"):
            assert parsed["parents"][f"{resident}_network_private_{zone}"] == private
    # The invisible chain runs zone a, b, c top to bottom: a's private subnet before b's public one.
    chain = [(a, b) for a, b, arrow in parsed["edges"] if arrow == "~~~"]
    assert ("container_service_network_private_a", "network_public_b_route") in chain
    assert ("network_vpc_box", "peer_network_vpc_box", "-.->") in parsed["edges"]


def test_backup_copy_and_site_bucket_edges(prod_plan, dev_plan):
    edges = {(e.source, e.target): e for e in build_nodes(prod_plan).edges}
    assert edges[("backup_plan", "backup_vault")].label == "daily, weekly"
    assert edges[("backup_vault", "backup_peer_vault")].label == "copy"
    assert ("serverless_subscribers", "backup_plan") in edges  # picked by the selection's Backup tag
    assert edges[("backup_plan", "alarms_ops")].label == "failed jobs"
    assert edges[("serverless_site_cdn", "serverless_site")].label == "OAC"
    assert edges[("serverless_site_files", "serverless_site")].label == "upload"
    assert edges[("serverless_site_cdn", "serverless_cdn_logs")].label == "access logs"
    assert edges[("web_alb", "web_alb_logs")].label == "access logs"
    dev = build_nodes(dev_plan)
    assert {(e.source, e.target, e.label) for e in dev.edges if e.target == "serverless_site"} == {
        ("serverless_site_files", "serverless_site", "upload")}
    assert dev.node("serverless_site").label.startswith("S3 website bucket")


def test_area_views_follow_the_plan(full_plan, dev_plan):
    from platformctl.diagrams.views import areas

    views = areas(build_nodes(full_plan))  # the sample platform: two zones, no Route 53, no WAF
    assert [g.label for g in views["network"].groups if g.kind == "az"] == ["eu-west-1a", "eu-west-1b", "eu-central-1a"]
    web = views["web"]
    boxes = {g.id: g.label for g in web.groups}
    assert boxes[web.node("web_alb").group] == "public subnets eu-west-1a, b"
    assert not any(n.ref and n.kind in ("dns", "waf", "cert") for n in web.nodes)
    for view in views.values():
        check_mermaid(mermaid(view))
    # dev: one NAT instance in zone a; zone b's private subnet routes to it.
    network = {n.id: n for n in areas(build_nodes(dev_plan))["network"].nodes}
    assert network["network_private_b_route"].label == "0.0.0.0/0 → NAT\nin eu-west-1a"
    assert network["network_nat_eni"].group == "network_public_a_box"
