"""Process-wide speed-ups of the libraries the tests drive, installed once by tests/harness.py.

Each keeps the library's answers and only drops work whose result is thrown away;
tests/unit/test_speedups.py pins what they must keep. (moto's quadratic SQS is fixed by
platformctl.moto_server.fast_sqs, which the sandbox uses too.)
"""

from __future__ import annotations

import functools
import inspect
import string
import types


def install() -> None:
    share_botocore_loader()
    discard_moto_backends_on_reset()
    load_moto_amis_on_first_use()
    draw_moto_random_at_once()
    check_handler_signatures_once()
    reuse_client_methods()
    share_botocore_event_aliases()
    find_moto_actions_without_listing()
    remember_moto_snake_case()
    remember_moto_attribute_aliases()


def share_botocore_loader() -> None:
    """One botocore data loader for every session of the test process.

    moto's mock_aws gives each test a fresh boto3 default session, and each session's loader
    lists botocore's ~400 service folders and parses the service models (ec2's is megabytes of
    JSON) again: ~0.4 s of CPU for seven clients, ~0.1 s with the loader shared. The loader
    only reads botocore's shipped data and caches it; clients, credentials and moto's patches
    stay per session."""
    import botocore.session

    if not hasattr(botocore.session.create_loader, "cache_info"):
        botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.session.create_loader)


def discard_moto_backends_on_reset() -> None:
    """moto's reset (at the start and end of every `mock_aws`, and /moto-api/reset) drops backends
    without building them again first.

    moto 5.2 resets each backend in place (`__init__` again: EC2 loads its ~1,300 default AMIs
    with a volume and a snapshot each, ~0.1 s per region) and then removes every backend from its
    registry anyway, so the next use builds a fresh one. Backends that override `reset` to release
    something (S3 closes its temporary files and forgets bucket names) still run it."""
    from moto.core.base_backend import BackendDict, BaseBackend, backend_lock

    if getattr(BackendDict.reset, "discards", False):
        return

    def reset(cls) -> None:
        with backend_lock:
            for backend in cls._instances:
                for account_backend in backend.values():
                    for region_backend in account_backend.values():
                        if type(region_backend).reset is not BaseBackend.reset:
                            region_backend.reset()
                backend.clear()
            cls._instances.clear()

    reset.discards = True
    BackendDict.reset = classmethod(reset)


def load_moto_amis_on_first_use() -> None:
    """moto's EC2 builds its default images (~75 general ones and ~1,200 ECS-optimised ones per
    region, each with a snapshot: ~0.1 s) when the first thing of a region is looked at, not when
    the region's backend is built; and a lookup of general images by id builds only those.

    moto builds an EC2 backend for us-east-1 in every mock just to read the service's URL table
    (moto.core.botocore_stubber), and most tests use EC2 for VPCs, groups or templates only.
    Launching an instance looks its image up by id (`describe_images`, by `ImageIds` or an
    `image-id` filter): when every id asked for is a general image, the answer is the same
    without the ECS-optimised ones (no id is in both lists). Anything else (listing or filtering
    images, `amis` or `snapshots` read, an image created or deregistered) builds the rest first,
    in moto's order: general, then ECS-optimised, then what the test made."""
    from moto import settings
    from moto.ec2.models import EC2Backend
    from moto.ec2.models import amis as moto_amis
    from moto.ec2.utils import generic_filter

    if getattr(moto_amis.AmiBackend._load_amis, "deferred", False):
        return
    describe = moto_amis.AmiBackend.describe_images
    ecs = "ecs/optimized_amis"

    def listed(region: str, folder: str) -> list[dict]:
        try:
            return moto_amis.load_resource(f"ec2/resources/{folder}/{region}.json")
        except FileNotFoundError:  # a region moto has no list for, as moto itself allows
            return []

    @functools.cache
    def ecs_ids(region: str) -> frozenset[str]:
        return frozenset(ami["ami_id"] for ami in listed(region, ecs))

    def add(backend, images: list[dict]) -> None:  # moto 5.2's _load_amis loop, per list
        for ami in images:
            ami["owner_alias"] = "amazon"
            if (created := ami.get("creation_date")) and isinstance(created, str):
                ami["creation_date"] = moto_amis.parse_timestamp(created)
            backend.amis[ami["ami_id"]] = moto_amis.Ami(backend, **ami)

    def build(backend, everything: bool) -> None:
        state = backend.__dict__.pop("_amis_pending", None)  # popped: the loops below read `amis`
        if state == "general":
            add(backend, moto_amis.AMIS)
            if "MOTO_AMIS_PATH" in moto_amis.environ:  # moto then loads only that file
                return
            add(backend, listed(backend.region_name, "latest_amis"))
            state = "ecs"
        if state == "ecs" and everything:
            add(backend, listed(backend.region_name, ecs))
        elif state == "ecs":
            backend.__dict__["_amis_pending"] = "ecs"

    def defer(self) -> None:
        if "MOTO_AMIS_PATH" in moto_amis.environ or settings.ec2_load_default_amis():
            self.__dict__["_amis_pending"] = "general"

    def built_on_read(name: str) -> property:
        def get(self):
            if "_amis_pending" in self.__dict__:
                build(self, everything=True)
            return self.__dict__[name]

        def put(self, value) -> None:
            self.__dict__[name] = value

        return property(get, put)

    def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
        wanted = set(ami_ids or ())  # with ids, moto ignores the other arguments
        if not wanted and filters and set(filters) == {"image-id"} and not (exec_users or owners):
            value = filters["image-id"]
            wanted = {value} if isinstance(value, str) else set(value)
        if wanted and "_amis_pending" in self.__dict__:
            build(self, everything=False)
            general = self.__dict__["amis"]
            if wanted <= general.keys() and not wanted & ecs_ids(self.region_name):
                images = list(general.values())
                return [i for i in images if i.id in wanted] if ami_ids else generic_filter(filters, images)
        return describe(self, ami_ids, filters, exec_users, owners)

    defer.deferred = True
    moto_amis.AmiBackend._load_amis = defer
    moto_amis.AmiBackend.describe_images = describe_images
    for name in ("amis", "snapshots"):
        setattr(EC2Backend, name, built_on_read(name))


def draw_moto_random_at_once() -> None:
    """moto's random ids and strings drawn at once instead of one `random.choice` per character:
    hex digits (EC2 resource ids `i-`, `vol-`, `snap-`, ...) from one draw of random bits, letters
    (a 52-character request id on every response, a 185-letter SQS receipt handle per message
    received) from one `choices` call. The same alphabets and lengths, uniform, from the same
    seedable moto generator; EC2 ids in a fifth of the time (half of loading the default AMIs
    was ids)."""
    from moto.ec2 import utils as ec2_utils
    from moto.moto_api._internal import mock_random
    from moto.moto_api._internal.moto_random import MotoRandom
    from moto.sqs import models as sqs_models

    if getattr(MotoRandom.get_random_hex, "at_once", False):
        return

    def get_random_hex(self, length: int = 8) -> str:
        return f"{self.getrandbits(4 * length):0{length}x}" if length else ""

    def get_random_string(self, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
        pool = string.ascii_letters + (string.digits if include_digits else "")
        drawn = "".join(self.choices(pool, k=length))
        return drawn.lower() if lower_case else drawn

    def random_resource_id(size: int = 8) -> str:
        return mock_random.get_random_hex(size)

    def generate_receipt_handle() -> str:
        return "".join(mock_random.choices(string.ascii_lowercase, k=185))

    get_random_hex.at_once = True
    MotoRandom.get_random_hex = get_random_hex
    MotoRandom.get_random_string = get_random_string
    ec2_utils.random_resource_id = random_resource_id
    sqs_models.generate_receipt_handle = generate_receipt_handle


def check_handler_signatures_once() -> None:
    """botocore checks that every event handler takes **kwargs when it is registered, through
    `inspect.getfullargspec`: ~130 builtin handlers per session, a fifth of creating a session
    and a client (moto gives every test a new default session). The answer for a function never
    changes, so it is remembered per module-level function (a bound method's is its function's);
    other handlers are checked as before."""
    from botocore import compat, hooks

    if getattr(hooks.accepts_kwargs, "remembered", False):
        return
    check = compat.accepts_kwargs
    of_function = functools.cache(check)

    def accepts_kwargs(func) -> bool:
        plain = getattr(func, "__func__", func)
        # Only functions and methods defined at module level are remembered: a handler object,
        # partial or closure is made per session, and remembering it would keep that session alive.
        defined_once = isinstance(plain, types.FunctionType) and "<locals>" not in plain.__qualname__
        return of_function(plain) if defined_once else check(func)

    accepts_kwargs.remembered = True
    hooks.accepts_kwargs = accepts_kwargs


def reuse_client_methods() -> None:
    """botocore builds a client class per client: one method object per operation of the service
    (EC2 has ~750), a third of creating a client, and the tests create ~2,000 (moto gives every
    test a new session, and each command builds its own clients). The methods depend only on the
    service model, which the shared loader (share_botocore_loader) hands out as one object per
    service and version; so they are built once per model and copied into each new class.
    `creating-client-class` handlers still see, and may extend, a fresh dict of them. (The methods'
    lazy docstrings keep the first creator's event emitter: one per service, for the session.)"""
    from botocore.client import ClientCreator

    if getattr(ClientCreator._create_methods, "reused", False):
        return
    create = ClientCreator._create_methods
    built: dict[tuple[str, int], tuple[dict, dict]] = {}

    def _create_methods(self, service_model) -> dict:
        description = service_model._service_description
        key = (service_model.service_name, id(description))
        if key not in built:  # the description is kept with its methods, so its id is never reused
            built[key] = (description, create(self, service_model))
        return dict(built[key][1])

    _create_methods.reused = True
    ClientCreator._create_methods = _create_methods


def share_botocore_event_aliases() -> None:
    """botocore renames a few services' event names (`EVENT_ALIASES`, e.g. `runtime.sagemaker`)
    on every `register` and `emit`, remembering each answer per emitter. Every session and client
    starts a new emitter, so the ~300 builtin handlers a session registers were all renamed again,
    each by a loop over the aliases: ~5 % of the cutover tests' CPU. The answer depends only on
    the event name and the alias table, so emitters with botocore's own table share one memory;
    an emitter given other aliases keeps its own, as before."""
    from botocore import hooks

    if getattr(hooks.EventAliaser._alias_event_name, "shared", False):
        return
    alias = hooks.EventAliaser._alias_event_name
    shared: dict[str, str] = {}

    def _alias_event_name(self, event_name: str) -> str:
        default = self.__dict__.get("_default_aliases")
        if default is None:  # each copy of an emitter copies the table: compare once per emitter
            default = self.__dict__["_default_aliases"] = self._event_aliases == hooks.EVENT_ALIASES
        if not default:
            return alias(self, event_name)
        try:
            return shared[event_name]
        except KeyError:
            shared[event_name] = aliased = alias(self, event_name)
            return aliased

    _alias_event_name.shared = True
    hooks.EventAliaser._alias_event_name = _alias_event_name


class _FunctionNames:
    """`name in _FunctionNames(cls)` answers what `name in method_names_from_class(cls)` does
    (a plain function reachable as an attribute of cls) without listing the class first."""

    __slots__ = ("cls",)

    def __init__(self, cls: type):
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.cls, name, None))


def find_moto_actions_without_listing() -> None:
    """moto answers each request by checking that the action is a method of the service's response
    class, and lists all of the class's members (`inspect.getmembers`, a few hundred) to do so:
    ~5 % of the CPU of each moto call. One attribute lookup gives the same answer."""
    from moto.core import responses

    if responses.method_names_from_class is _FunctionNames:
        return
    responses.method_names_from_class = _FunctionNames


def remember_moto_snake_case() -> None:
    """moto turns each request's action, and every attribute of an SQS queue each time the queue's
    attributes are read (on every send and receive), from CamelCase into snake_case character by
    character. The answer depends only on the name: remembered, for the two callers that matter."""
    from moto.core import responses, utils
    from moto.sqs import models as sqs_models

    if hasattr(responses.camelcase_to_underscores, "cache_info"):
        return
    remembered = functools.lru_cache(maxsize=4096)(utils.camelcase_to_underscores)
    responses.camelcase_to_underscores = remembered
    sqs_models.camelcase_to_underscores = remembered


def remember_moto_attribute_aliases() -> None:
    """moto serialises a response by asking, for every member of the output shape, which attribute
    of its model object holds it: six alias providers (the object's `Meta`, its class name, the
    shape's name, its parent's name, the model's serialization name) instantiated and asked per
    member per response, about half of moto's time per call. The names to try depend only on the
    object's class, the member shape (moto sets its parent just before) and the key, and shapes
    live as long as their service model, so the list is remembered; the values are still read
    from each object. Objects with their own `Meta` and pickers with other providers ask as before."""
    from moto.core import serialize

    picker = serialize.XFormedAttributePicker
    if getattr(picker.get_possible_keys, "remembered", False):
        return
    possible = picker.get_possible_keys
    remembered: dict[tuple, tuple] = {}

    def get_possible_keys(self, context):
        obj, shape = context.obj, context.shape
        if self.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS or "Meta" in getattr(obj, "__dict__", ()):
            return possible(self, context)
        parent = getattr(shape, "parent", None)
        key = (type(obj), id(shape), id(parent), context.key)
        found = remembered.get(key)
        if found is None:  # the shapes are kept with the answer, so their ids are never reused
            found = remembered[key] = (tuple(possible(self, context)), shape, parent)
        return found[0]

    get_possible_keys.remembered = True
    picker.get_possible_keys = get_possible_keys
