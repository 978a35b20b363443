"""IAM documents of the CI identities: what a preview may read, what a deploy may grant.

Three documents, each a pure function of ARNs so tests can check them against AWS's own
action catalogue (access levels, resource types, condition keys):

* `preview_read_policy`: the configuration of the platform's resources, the way `pulumi
  preview` reads it, and nothing of what those resources hold: no DynamoDB items, no S3
  objects or object listings, no log events, no secrets or parameters, no queue messages,
  no IAM writes. Pull-request jobs run the pull request's own program with this.
* `permissions_boundary`: the ceiling of every role the platform creates. Whatever a deploy
  writes into a role's policies, the role can never write IAM, touch Organizations or the
  account settings, or pass a role outside the platform's prefix.
* `iam_management_policy`: the deploy roles' IAM rights: roles, policies and instance
  profiles under the platform's prefix, and roles only while they carry the boundary.
"""

from __future__ import annotations

# --- preview ---------------------------------------------------------------------------------
# Describe/List/Get of resource configuration, service by service (the services the program
# creates). Wildcards only where every action they match is a configuration read: the tests
# expand each pattern against the IAM action catalogue and check every match.
PREVIEW_READ_ACTIONS = [
    "ec2:Describe*",
    "elasticloadbalancing:Describe*",
    "autoscaling:Describe*",
    "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
    "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags",
    "iam:GetInstanceProfile", "iam:ListInstanceProfilesForRole", "iam:ListInstanceProfileTags",
    "iam:GetOpenIDConnectProvider",
    "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency", "lambda:GetFunctionEventInvokeConfig", "lambda:GetEventSourceMapping",
    "lambda:GetPolicy", "lambda:GetLayerVersion", "lambda:ListVersionsByFunction", "lambda:ListTags",
    "apigateway:GET",
    "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "s3:ListAllMyBuckets", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration", "s3:GetAccelerateConfiguration",
    "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:GetOriginAccessControl",
    "cloudfront:GetCachePolicy", "cloudfront:GetResponseHeadersPolicy", "cloudfront:ListTagsForResource",
    "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
    "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags",
    "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
    "ecs:DescribeClusters", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListTagsForResource",
    "backup:DescribeBackupVault", "backup:GetBackupPlan", "backup:GetBackupSelection",
    "backup:GetBackupVaultAccessPolicy", "backup:GetBackupVaultNotifications", "backup:ListTags",
    "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
    "states:DescribeStateMachine", "states:ListTagsForResource",
    "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:ListTagsForResource",
    "acm:DescribeCertificate", "acm:ListTagsForCertificate",
    "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:GetChange",
]
# AWS's own public parameters (the current Amazon Linux image id): published by AWS for
# everyone, none of the platform's data lives there.
AWS_PUBLIC_PARAMETERS = "arn:{partition}:ssm:*::parameter/aws/service/*"

# Reads of what the resources HOLD (personal data, logs, secrets, messages, code images).
# Denied explicitly too, so a broader policy attached by mistake cannot hand them to a preview.
DATA_PLANE_READS = [
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:PartiQLSelect",
    "s3:GetObject*", "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults",
    "logs:GetLogRecord", "logs:StartLiveTail", "logs:Unmask",
    "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    "kms:Decrypt", "sqs:ReceiveMessage",
    "states:DescribeExecution", "states:GetExecutionHistory",
    "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetAuthorizationToken",
    "wafv2:GetSampledRequests",
]


def preview_read_policy(partition: str = "aws") -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadPlatformConfiguration", "Effect": "Allow", "Action": PREVIEW_READ_ACTIONS, "Resource": "*"},
            {"Sid": "AwsPublicParameters", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": AWS_PUBLIC_PARAMETERS.format(partition=partition)},
            {"Sid": "NeverTheData", "Effect": "Deny", "Action": DATA_PLANE_READS,
             "NotResource": AWS_PUBLIC_PARAMETERS.format(partition=partition)},
        ],
    }


# --- boundary ---------------------------------------------------------------------------------
# Every IAM action that writes (identities, policies, providers, keys, passwords, tags) by
# verb; iam:PassRole stays, limited to the platform's roles below. The tests check this
# list against every Write / Permissions management / Tagging action in the catalogue.
IAM_WRITE_PATTERNS = [
    "iam:Add*", "iam:Attach*", "iam:Change*", "iam:Create*", "iam:Deactivate*", "iam:Delete*",
    "iam:Detach*", "iam:Disable*", "iam:Enable*", "iam:Put*", "iam:Remove*", "iam:Reset*",
    "iam:Resync*", "iam:Set*", "iam:Tag*", "iam:Untag*", "iam:Update*", "iam:Upload*",
    "iam:AcceptDelegationRequest", "iam:AssociateDelegationRequest", "iam:RejectDelegationRequest",
    "iam:SendDelegationToken",
]


def _iam(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}"


def permissions_boundary(partition: str, account: str, prefix: str) -> dict:
    iam = _iam(partition, account)
    return {
        "Version": "2012-10-17",
        "Statement": [
            # The ceiling, not a grant: a role still needs its own policy for anything.
            {"Sid": "Ceiling", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoIamWrites", "Effect": "Deny", "Action": IAM_WRITE_PATTERNS, "Resource": "*"},
            {"Sid": "PassOnlyPlatformRoles", "Effect": "Deny", "Action": "iam:PassRole",
             "NotResource": f"{iam}:role/{prefix}*"},
            {"Sid": "NoOrganizationsOrAccount", "Effect": "Deny",
             "Action": ["organizations:*", "account:*"], "Resource": "*"},
        ],
    }


# --- deploy roles' IAM ------------------------------------------------------------------------
# Role actions AWS evaluates the iam:PermissionsBoundary condition key for: a deploy role may
# use them only on roles that carry (or, for create/put, get) the platform boundary.
BOUNDED_ROLE_ACTIONS = [
    "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRole", "iam:UpdateRole",
    "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
]
ROLE_ACTIONS = [
    "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:GetRolePolicy",
    "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole",
]
POLICY_ACTIONS = [
    "iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags",
]
PROFILE_ACTIONS = [
    "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile", "iam:UntagInstanceProfile", "iam:ListInstanceProfileTags",
]
DEPLOY_PATH = "/github-deploy/"


def iam_management_policy(partition: str, account: str, prefix: str, provider_arn: str, boundary_arn: str,
                          untouchable_roles: tuple[str, ...] = ()) -> dict:
    """IAM writes limited to the platform's own names, roles only with the boundary; the deploy
    identities (roles, boundary and provider under /github-deploy/) and `untouchable_roles` (the
    break-glass role, path /) are off-limits."""
    iam = _iam(partition, account)
    untouchable = [{"Sid": "NeverTheBreakGlassRole", "Effect": "Deny", "Action": ["iam:*", "sts:AssumeRole"],
                    "Resource": [f"{iam}:role/{name}" for name in untouchable_roles]}] if untouchable_roles else []
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PlatformRolesWithBoundary", "Effect": "Allow", "Action": BOUNDED_ROLE_ACTIONS,
             "Resource": f"{iam}:role/{prefix}*",
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}},
            {"Sid": "PlatformRoles", "Effect": "Allow", "Action": ROLE_ACTIONS, "Resource": f"{iam}:role/{prefix}*"},
            {"Sid": "PlatformPolicies", "Effect": "Allow", "Action": POLICY_ACTIONS,
             "Resource": f"{iam}:policy/{prefix}*"},
            {"Sid": "PlatformInstanceProfiles", "Effect": "Allow", "Action": PROFILE_ACTIONS,
             "Resource": f"{iam}:instance-profile/{prefix}*"},
            {"Sid": "BoundaryStays", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
            {"Sid": "NeverTheDeployIdentities", "Effect": "Deny", "Action": "iam:*",
             "Resource": [f"{iam}:role{DEPLOY_PATH}*", f"{iam}:policy{DEPLOY_PATH}*", provider_arn]},
            *untouchable,
        ],
    }
