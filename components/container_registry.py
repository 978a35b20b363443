"""ContainerService's registry and image: the ECR repository (scanning, lifecycle, optional CMK)
and the `app/` image built and pushed into it (docker-build's `Image`: one custom resource, no
awsx/pulumi_docker component stack to import in every plan).

Every resource here is a direct child of the ContainerService component (its `parent`), so
the URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from .blocks.kms import account_root, key_policy, use_through, via_service
from .container_args import APP_DIR, ContainerServiceArgs, RepositoryArgs
from .packaging import content_hash


def image_tag(version: str, app_dir: Path = APP_DIR) -> str:
    """`<version>-<content hash of app/>`: a commit that leaves app/ alone (docs, other
    components) keeps the tag, so the image is neither rebuilt nor are the tasks rolled."""
    return f"{version}-{content_hash(app_dir)}"


def repository(name: str, ecr: RepositoryArgs, region: str, account: str, partition: str,
               parent: pulumi.Resource) -> aws.ecr.Repository:
    encryption: dict = {"encryption_type": "AES256"}
    if ecr.encryption == "KMS":
        key = aws.kms.Key(
            f"{name}-ecr",
            description=f"{name}: ECR image encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            # Used only through ECR in this region (ECR works with the key through grants it
            # creates for the repository); principals still need IAM permission to push/pull.
            policy=key_policy(partition, account, *use_through(
                "AccountThroughEcr", [account_root(partition, account)],
                [via_service("ecr", region)], account)),
            opts=pulumi.ResourceOptions(parent=parent, protect=ecr.protect),
        )
        encryption = {"encryption_type": "KMS", "kms_key": key.arn}
    repo = aws.ecr.Repository(
        f"{name}-repo",
        image_tag_mutability=ecr.image_tag_mutability,
        image_scanning_configuration={"scan_on_push": ecr.scan_on_push},
        encryption_configurations=[encryption],
        force_delete=ecr.force_delete,
        opts=pulumi.ResourceOptions(parent=parent, protect=ecr.protect),
    )
    # Rules run by priority; the `any` rule must come last. Untagged layers of
    # superseded builds go after a day, then only the newest N images stay.
    aws.ecr.LifecyclePolicy(
        f"{name}-repo-lifecycle",
        repository=repo.name,
        policy=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "expire untagged images after 1 day",
                        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                      "countUnit": "days", "countNumber": 1},
                        "action": {"type": "expire"},
                    },
                    {
                        "rulePriority": 2,
                        "description": f"keep the newest {ecr.keep_images} images",
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                      "countNumber": ecr.keep_images},
                        "action": {"type": "expire"},
                    },
                ]
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return repo


def image(name: str, args: ContainerServiceArgs, repo: aws.ecr.Repository,
          parent: pulumi.Resource) -> docker_build.Image:
    """`app/` built with the deploying machine's Docker (BuildKit) at `pulumi up` and pushed as
    `<repositoryUrl>:<image_tag>` with a token of the repository's registry. `ref` is the pushed
    image by digest (`<repositoryUrl>:<tag>@sha256:...`): what the task definition runs."""
    token = aws.ecr.get_authorization_token_output(registry_id=repo.registry_id,
                                                   opts=pulumi.InvokeOptions(parent=parent))
    return docker_build.Image(
        f"{name}-image",
        context={"location": args.app_path},
        platforms=[args.platform],
        build_args={"APP_VERSION": args.image_tag},
        tags=[repo.repository_url.apply(lambda url: f"{url}:{args.image_tag}")],
        push=True,
        # The token (12 h) stays a secret in the state.
        registries=[{"address": repo.repository_url, "username": token.user_name,
                     "password": pulumi.Output.secret(token.password)}],
        # As before (awsx): previews do not build; the image is built and pushed by `up` only.
        build_on_preview=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )
