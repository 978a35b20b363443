"""The test processes' library speed-ups (tests/speedups.py) keep what the libraries promise."""

from __future__ import annotations

import copy
import json
import re

import boto3
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
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


def _moto_default_image_ids(region: str) -> list[str]:
    """moto's own order of its default images: the general list, the region's latest, its ECS-optimised."""
    from moto.utilities.utils import load_resource

    ids = [a["ami_id"] for a in load_resource("ec2/resources/amis.json")]
    for folder in ("latest_amis", "ecs/optimized_amis"):
        ids += [a["ami_id"] for a in load_resource(f"ec2/resources/{folder}/{region}.json")]
    return list(dict.fromkeys(ids))


def test_a_launch_builds_only_the_general_images_and_a_new_image_builds_the_rest_in_moto_order():
    expected = _moto_default_image_ids("eu-west-1")
    with mock_aws():
        ec2 = boto3.client("ec2")
        instance = ec2.run_instances(ImageId=AMIS["blue"], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        backend = ec2_backends[ACCOUNT]["eu-west-1"]
        general = list(vars(backend)["amis"])
        assert AMIS["blue"] in general and 40 < len(general) < 100  # not the ~1,200 ECS-optimised ones
        assert ec2.describe_images(Filters=[{"Name": "image-id", "Values": [AMIS["green"]]}])["Images"][0]["ImageId"] \
            == AMIS["green"]
        assert len(vars(backend)["amis"]) == len(general)  # answered from the general images too

        mine = ec2.create_image(InstanceId=instance, Name="mine")["ImageId"]  # builds the rest first
        assert list(backend.amis) == [*expected, mine]  # describe_images lists them in this order
        assert ec2.describe_images(Owners=["self"])["Images"][0]["ImageId"] == mine
        snapshots = backend.snapshots
        assert [s.id for s in snapshots.values()][:len(expected)] == [backend.amis[i].ebs_snapshot.id for i in expected]


def test_an_ecs_optimised_image_is_found_by_id_and_an_unknown_id_is_refused():
    ecs_image = _moto_default_image_ids("eu-west-1")[-1]
    with mock_aws():
        ec2 = boto3.client("ec2")
        assert ec2.describe_images(ImageIds=[ecs_image])["Images"][0]["ImageId"] == ecs_image
        with pytest.raises(ClientError, match="InvalidAMIID.NotFound"):
            ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])


def test_clients_of_one_service_share_methods_but_not_classes():
    with mock_aws():
        first, second = boto3.client("sqs"), boto3.client("sqs")
        s3 = boto3.client("s3")
        assert type(first) is not type(second)  # per-client classes, as botocore makes them
        assert type(first).send_message is type(second).send_message  # built once per service model
        url = second.create_queue(QueueName="speedups")["QueueUrl"]
        first.send_message(QueueUrl=url, MessageBody="one")
        assert second.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "one"
        assert hasattr(s3, "upload_file")  # boto3's creating-client-class handler still adds its methods
        with pytest.raises(TypeError, match="only accepts keyword arguments"):
            first.send_message(url, "positional")


def test_handler_objects_are_checked_but_not_kept_alive():
    """Remembering a per-session handler object or closure would keep its session's clients alive."""
    import gc
    import weakref

    class Handler:
        def __call__(self, **kwargs):
            return kwargs

    def closure_of(value):
        def handler(**kwargs):
            return value

        return handler

    session = boto3.session.Session()._session
    handler, closure = Handler(), closure_of(session)
    session.register("before-send.sqs", handler)
    session.register("before-send.sqs", closure)
    refs = [weakref.ref(handler), weakref.ref(closure), weakref.ref(session)]
    del session, handler, closure
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_event_names_are_renamed_as_botocore_does_and_other_alias_tables_keep_their_own():
    from botocore import hooks

    stock = hooks.EventAliaser(hooks.HierarchicalEmitter())
    own = hooks.EventAliaser(hooks.HierarchicalEmitter(), {"sqs": "queues"})
    for aliaser in (stock, copy.copy(stock), boto3.session.Session()._session.get_component("event_emitter")):
        assert aliaser._alias_event_name("before-send.sqs") == "before-send.sqs"
        assert aliaser._alias_event_name("before-call.autoscaling.DescribeTags") == \
            "before-call.auto-scaling.DescribeTags"
        assert aliaser._alias_event_name("before-call.api.sagemaker.CreateModel") == "before-call.sagemaker.CreateModel"
    assert own._alias_event_name("before-send.sqs") == "before-send.queues"
    assert stock._alias_event_name("before-send.sqs") == "before-send.sqs"


def test_a_handler_registered_under_the_old_service_name_still_runs():
    seen = []
    with mock_aws():
        session = boto3.session.Session()
        session.events.register("before-call.autoscaling.DescribeAutoScalingGroups",
                                lambda **kwargs: seen.append(kwargs["model"].name))
        session.client("autoscaling").describe_auto_scaling_groups()
    assert seen == ["DescribeAutoScalingGroups"]


def test_moto_finds_the_same_actions_as_by_listing_the_class():
    from moto.core import utils
    from moto.core.responses import method_names_from_class
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    for cls, action in ((SQSResponse, "receive_message"), (DynamoHandler, "put_item")):
        listed = set(utils.method_names_from_class(cls))  # moto's own listing
        names = method_names_from_class(cls)
        assert action in listed and all(name in names for name in listed)
        assert not any(name in names for name in set(dir(cls)) - listed)  # attributes that are no functions
        assert "no_such_action" not in names and None not in names


def test_an_action_moto_has_not_implemented_is_still_refused():
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="speedups-actions")["QueueUrl"]
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == \
            {"VisibilityTimeout": "30"}
        with pytest.raises(NotImplementedError, match="start_message_move_task action has not been implemented"):
            sqs.start_message_move_task(SourceArn="arn:aws:sqs:eu-west-1:123456789012:speedups-actions")


def test_snake_case_names_are_moto_s_own():
    from moto.core import responses, utils

    for name in ("ReceiveMessage", "VisibilityTimeout", "ApproximateNumberOfMessagesNotVisible", "KMSMasterKeyId",
                 "RedrivePolicy", "FifoQueue", "", "A"):
        assert responses.camelcase_to_underscores(name) == utils.camelcase_to_underscores(name)
    assert responses.camelcase_to_underscores("ReceiveMessage") == "receive_message"


def test_moto_random_strings_keep_their_shape_and_follow_the_seed():
    from moto.moto_api._internal import mock_random
    from moto.sqs import models

    mock_random.seed(7)
    first = (mock_random.get_random_string(52), mock_random.get_random_hex(12), models.generate_receipt_handle())
    mock_random.seed(7)
    assert (mock_random.get_random_string(52), mock_random.get_random_hex(12), models.generate_receipt_handle()) == first
    mock_random.seed()
    text, digits, handle = first
    assert re.fullmatch(r"[A-Za-z0-9]{52}", text) and re.fullmatch(r"[0-9a-f]{12}", digits)
    assert re.fullmatch(r"[a-z]{185}", handle)
    assert re.fullmatch(r"[a-z]{30}", mock_random.get_random_string(30, include_digits=False, lower_case=True))
    drawn = "".join(mock_random.get_random_hex(64) for _ in range(20))
    assert set(drawn) == set("0123456789abcdef")
    assert mock_random.get_random_hex(0) == "" and mock_random.get_random_string(0) == ""  # as moto's own
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="speedups-handles")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="one")
        message = sqs.receive_message(QueueUrl=url)["Messages"][0]
        assert re.fullmatch(r"[a-z]{185}", message["ReceiptHandle"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages") is None


def test_moto_serialises_with_the_attribute_names_it_would_look_up():
    """Every member moto looks up for a response gets the same names to try as moto's own providers give."""
    from moto.core import serialize

    remembered = serialize.XFormedAttributePicker.get_possible_keys
    asked = []

    def spy(self, context):
        answer = remembered(self, context)
        asked.append((context, list(answer)))
        return answer

    serialize.XFormedAttributePicker.get_possible_keys = spy
    try:
        with mock_aws():
            sqs, ec2, cfn = boto3.client("sqs"), boto3.client("ec2"), boto3.client("cloudformation")
            url = sqs.create_queue(QueueName="speedups-aliases")["QueueUrl"]
            for _ in range(2):  # the second time from what was remembered
                sqs.send_message(QueueUrl=url, MessageBody="one")
                assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "one"
                assert ec2.describe_vpcs()["Vpcs"][0]["CidrBlock"] == "172.31.0.0/16"
            cfn.create_stack(StackName="aliases", TemplateBody=json.dumps({
                "Parameters": {"Colour": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
                Parameters=[{"ParameterKey": "Colour", "ParameterValue": "green"}])
            stack = cfn.describe_stacks(StackName="aliases")["Stacks"][0]  # Parameters via Stack.Meta
            assert stack["Parameters"] == [{"ParameterKey": "Colour", "ParameterValue": "green"}]
    finally:
        serialize.XFormedAttributePicker.get_possible_keys = remembered
    stock = serialize.XFormedAttributePicker.__mro__[1].get_possible_keys  # AttributePicker's providers
    for context, answer in asked:
        expected = [k for p in stock(serialize.XFormedAttributePicker(), context) for k in (p, xform_name(p))]
        assert answer == expected, context.key
    assert len(asked) > 50
