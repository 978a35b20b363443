"""Process-wide speed-ups of the libraries the tests drive, installed once by tests/conftest.py.

Each keeps the library's answers and only drops work whose result is thrown away;
tests/unit/test_speedups.py pins what they must keep. (moto's quadratic SQS is fixed by
platformctl.moto_server.fast_sqs, which the sandbox uses too.)
"""

from __future__ import annotations

import functools


def install() -> None:
    share_botocore_loader()
    discard_moto_backends_on_reset()
    load_moto_amis_on_first_use()
    draw_ec2_ids_at_once()
    check_handler_signatures_once()


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
    """moto's EC2 builds its ~1,300 default AMIs (each with a volume and a snapshot, ~0.1 s) when
    the first thing of a region is looked at, not when the region's backend is built.

    moto builds an EC2 backend for us-east-1 in every mock just to read the service's URL table
    (moto.core.botocore_stubber), and most tests use EC2 for VPCs, groups or templates only. The
    images, and the snapshots they leave, appear as soon as `amis`, `snapshots` or `volumes` of
    that backend is read, in the order moto would have built them."""
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.amis import AmiBackend

    if getattr(AmiBackend._load_amis, "deferred", False):
        return
    load = AmiBackend._load_amis

    def defer(self) -> None:
        self.__dict__["_amis_pending"] = True

    def loaded_on_read(name: str) -> property:
        def get(self):
            if self.__dict__.pop("_amis_pending", False):
                load(self)
            return self.__dict__[name]

        def put(self, value) -> None:
            self.__dict__[name] = value

        return property(get, put)

    defer.deferred = True
    AmiBackend._load_amis = defer
    for name in ("amis", "snapshots", "volumes"):
        setattr(EC2Backend, name, loaded_on_read(name))


def draw_ec2_ids_at_once() -> None:
    """moto's EC2 resource ids (`i-`, `vol-`, `snap-`, ... + hex digits) from one draw of random
    bits instead of one `random.choice` per digit: the same uniform hex strings from the same
    (seedable) moto generator, in a fifth of the time. Half of loading the default AMIs was ids."""
    from moto.ec2 import utils
    from moto.moto_api._internal import mock_random

    if getattr(utils.random_resource_id, "at_once", False):
        return

    def random_resource_id(size: int = 8) -> str:
        return f"{mock_random.getrandbits(4 * size):0{size}x}"

    random_resource_id.at_once = True
    utils.random_resource_id = random_resource_id


def check_handler_signatures_once() -> None:
    """botocore checks that every event handler takes **kwargs when it is registered, through
    `inspect.getfullargspec`: ~130 builtin handlers per session, a fifth of creating a session
    and a client (moto gives every test a new default session). The answer for a function never
    changes, so it is remembered per function (a bound method's is its function's); handlers
    that cannot be looked up in a cache are checked as before."""
    from botocore import compat, hooks

    if getattr(hooks.accepts_kwargs, "remembered", False):
        return
    check = compat.accepts_kwargs
    of_function = functools.lru_cache(maxsize=4096)(check)

    def accepts_kwargs(func) -> bool:
        try:
            return of_function(getattr(func, "__func__", func))
        except TypeError:  # unhashable
            return check(func)

    accepts_kwargs.remembered = True
    hooks.accepts_kwargs = accepts_kwargs
