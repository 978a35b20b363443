"""The test processes' library speed-ups (tests/speedups.py) keep what the libraries promise."""

from __future__ import annotations

import re

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.ec2.models import ec2_backends

from tests.cli.bluegreen import AMIS

ACCOUNT = "123456789012"


def test_each_mock_starts_empty_and_the_old_backends_are_dropped_not_rebuilt():
    with mock_aws():
        ec2, s3 = boto3.client("ec2"), boto3.client("s3")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        s3.create_bucket(Bucket="speedups-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        first = ec2_backends[ACCOUNT]["eu-west-1"]
    assert vpc in first.vpcs  # dropped as it was: not built again only to be thrown away
    with mock_aws():
        ec2, s3 = boto3.client("ec2"), boto3.client("s3")
        assert ec2_backends[ACCOUNT]["eu-west-1"] is not first
        assert vpc not in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
        assert s3.list_buckets()["Buckets"] == []
        # S3 still ran its own reset: the global bucket name is free again
        s3.create_bucket(Bucket="speedups-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        # the fresh backend has moto's default images (the blue/green tests launch from them)
        images = ec2.describe_images(ImageIds=list(AMIS.values()))["Images"]
        assert sorted(i["ImageId"] for i in images) == sorted(AMIS.values())
    assert BackendDict._instances == []


def test_default_images_and_their_snapshots_appear_when_first_looked_at():
    with mock_aws():
        ec2 = boto3.client("ec2")
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
        backend = ec2_backends[ACCOUNT]["eu-west-1"]
        assert vars(backend)["amis"] == {} and vars(backend)["snapshots"] == {}  # not built for a VPC
        snapshots = {s["SnapshotId"] for s in ec2.describe_snapshots()["Snapshots"]}
        images = backend.amis.values()
        assert len(images) > 1000 and {i.ebs_snapshot.id for i in images} == snapshots
        assert ec2.describe_images(ImageIds=[AMIS["blue"]])["Images"][0]["ImageId"] == AMIS["blue"]
        assert vars(ec2_backends[ACCOUNT]["us-east-1"])["amis"] == {}  # built by moto's URL lookup, never used


def test_ec2_ids_keep_their_shape():
    with mock_aws():
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        ids = [vpc, subnet, *(ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc)["GroupId"]
                              for i in range(50))]
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vpc) and re.fullmatch(r"subnet-[0-9a-f]{17}", subnet)
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"sg-[0-9a-f]{17}", i) for i in ids[2:])
    assert {c for i in ids[2:] for c in i[3:]} == set("0123456789abcdef")  # every digit drawn, leading zeros kept


def test_handlers_without_kwargs_are_still_refused():
    session = boto3.session.Session()._session

    class Handlers:
        def good(self, **kwargs):
            return kwargs

        def bad(self, request):
            return request

    for _ in range(2):  # the second time from the remembered answer
        session.register("before-send.sqs", Handlers().good)
        with pytest.raises(ValueError, match="must accept keyword arguments"):
            session.register("before-send.sqs", Handlers().bad)
