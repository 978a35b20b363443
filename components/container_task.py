"""The Fargate task's container definition (JSON), from the component's args."""

from __future__ import annotations

import json

from .container_args import ContainerServiceArgs

CONTAINER_NAME = "app"
APP_UID = "10001:10001"  # the user the Dockerfile creates; repeated so ECS enforces it too


def container_definitions(args: ContainerServiceArgs, image: str, log_group: str) -> str:
    """The task's one container: non-root, read-only root, no capabilities, health probe, awslogs."""
    cfg = args
    port = cfg.container_port
    environment = {
        "APP_ENVIRONMENT": args.environment,
        "APP_VERSION": args.image_tag,
        "APP_BASE_PATH": cfg.base_path,
        "PORT": str(port),
    }
    return json.dumps(
        [
            {
                "name": CONTAINER_NAME,
                "image": image,
                "essential": True,
                "user": APP_UID,
                "readonlyRootFilesystem": True,
                "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp", "name": "http"}],
                "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
                "linuxParameters": {
                    "initProcessEnabled": True,
                    # The server needs no Linux capability; ECS Exec works without them too.
                    "capabilities": {"drop": ["ALL"]},
                },
                # ECS ignores the image's HEALTHCHECK; the same probe, declared for the agent.
                "healthCheck": {
                    "command": ["CMD", "python", "/app/server.py", "--check"],
                    "interval": 15, "timeout": 5, "retries": 3, "startPeriod": 10,
                },
                "stopTimeout": 30,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group,
                        "awslogs-region": args.region,
                        "awslogs-stream-prefix": CONTAINER_NAME,
                    },
                },
            }
        ]
    )
