"""cloud-platform-bootstrap: the GitHub OIDC provider, the deploy roles and the break-glass role (once per account)."""

import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's components/

from components.break_glass import BreakGlassRole, BreakGlassRoleArgs  # noqa: E402
from components.github_deploy_role import DeployRoleArgs, GitHubDeployRole, GitHubDeployRoleArgs, github_variables  # noqa: E402
from components.platform import args_from  # noqa: E402
from components.settings.delivery import load_bootstrap_settings  # noqa: E402

settings = load_bootstrap_settings()
break_glass = BreakGlassRole("break-glass", BreakGlassRoleArgs(**settings.break_glass.model_dump()))
deploy = GitHubDeployRole(
    "github-deploy",
    GitHubDeployRoleArgs(
        repository=settings.repository,
        roles={key: args_from(role, DeployRoleArgs) for key, role in settings.roles.items()},
        oidc_provider_arn=settings.oidc_provider_arn,
        iam_prefix=settings.iam_prefix,
        untouchable_roles=(settings.break_glass.role_name,),
    ),
)
pulumi.export("oidcProviderArn", deploy.provider_arn)
pulumi.export("roleArns", deploy.role_arns)
pulumi.export("githubVariables", deploy.role_arns.apply(github_variables))
# Path/name for the platform stacks' `cloud-platform:permissionsBoundary` setting.
pulumi.export("permissionsBoundaryArn", deploy.boundary_arn)
# The platform stacks' `backup.breakGlassRoleName` names this role (vault access policies).
pulumi.export("breakGlassRoleArn", break_glass.role_arn)
