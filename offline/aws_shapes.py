"""What AWS's ids, ARNs and computed attributes look like, per resource type.

The recording mock answers every registration with these, so code that reads an id, an ARN or
a DNS name sees the shape the AWS provider would report (`vpc-…`, `pcx-…`, ARNs with IAM paths,
queue URLs, load balancer DNS names).
"""

from __future__ import annotations

import hashlib
from typing import Any

ACCOUNT = "123456789012"


def digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:length]


# Prefixes of EC2-style ids; anything else gets its physical name (or ARN/URL) as id.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/networkInterface:NetworkInterface": "eni",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:kms/key:Key": "key",
    "aws:apigateway/restApi:RestApi": "api",
    "aws:apigateway/resource:Resource": "res",
    "aws:apigateway/deployment:Deployment": "dep",
    "aws:cloudfront/distribution:Distribution": "E",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "oac",
}

# ARN templates by type; {name} is the physical name, {id} the resource id.
ARN = {
    "aws:iam/role:Role": "arn:aws:iam::{account}:role{path}{name}",
    "aws:iam/policy:Policy": "arn:aws:iam::{account}:policy{path}{name}",
    "aws:iam/instanceProfile:InstanceProfile": "arn:aws:iam::{account}:instance-profile{path}{name}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "arn:aws:iam::{account}:oidc-provider/{url}",
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
    "aws:s3/bucketV2:BucketV2": "arn:aws:s3:::{name}",
    "aws:lambda/function:Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "aws:sns/topic:Topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws:dynamodb/table:Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws:lb/loadBalancer:LoadBalancer": "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{digest}",
    "aws:lb/targetGroup:TargetGroup": "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{digest}",
    "aws:lb/listener:Listener": "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{name}/{digest}",
    "aws:lb/listenerRule:ListenerRule": "arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/app/{name}/{digest}",
    "aws:autoscaling/group:Group": "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:{digest}:autoScalingGroupName/{name}",
    "aws:ecr/repository:Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "aws:ecs/cluster:Cluster": "arn:aws:ecs:{region}:{account}:cluster/{name}",
    "aws:ecs/service:Service": "arn:aws:ecs:{region}:{account}:service/{name}",
    "aws:ecs/taskDefinition:TaskDefinition": "arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
    "aws:apigateway/restApi:RestApi": "arn:aws:apigateway:{region}::/restapis/{id}",
    "aws:cloudfront/distribution:Distribution": "arn:aws:cloudfront::{account}:distribution/{id}",
    "aws:sfn/stateMachine:StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{name}",
    "aws:backup/vault:Vault": "arn:aws:backup:{region}:{account}:backup-vault:{name}",
    "aws:backup/plan:Plan": "arn:aws:backup:{region}:{account}:backup-plan:{id}",
    "aws:backup/framework:Framework": "arn:aws:backup:{region}:{account}:framework:{name}-{digest}",
    "aws:backup/reportPlan:ReportPlan": "arn:aws:backup:{region}:{account}:report-plan:{name}-{digest}",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "arn:aws:backup:{region}:{account}:restore-testing-plan:{name}-{digest}",
    "aws:ec2/vpc:Vpc": "arn:aws:ec2:{region}:{account}:vpc/{id}",
    "aws:ec2/subnet:Subnet": "arn:aws:ec2:{region}:{account}:subnet/{id}",
    "aws:ec2/securityGroup:SecurityGroup": "arn:aws:ec2:{region}:{account}:security-group/{id}",
    "aws:ec2/networkInterface:NetworkInterface": "arn:aws:ec2:{region}:{account}:network-interface/{id}",
    # Image Builder: versioned resources carry their semantic version (and build 1) in the ARN.
    "aws:imagebuilder/component:Component": "arn:aws:imagebuilder:{region}:{account}:component/{name}/{version}/1",
    "aws:imagebuilder/imageRecipe:ImageRecipe": "arn:aws:imagebuilder:{region}:{account}:image-recipe/{name}/{version}",
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration":
        "arn:aws:imagebuilder:{region}:{account}:infrastructure-configuration/{name}",
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration":
        "arn:aws:imagebuilder:{region}:{account}:distribution-configuration/{name}",
    "aws:imagebuilder/imagePipeline:ImagePipeline": "arn:aws:imagebuilder:{region}:{account}:image-pipeline/{name}",
    "aws:acm/certificate:Certificate": "arn:aws:acm:{region}:{account}:certificate/{uuid}",
    "aws:wafv2/webAcl:WebAcl": "arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/{uuid}",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "arn:aws:logs:{region}:{account}:delivery-destination:{name}",
}

# Types whose id is one of their inputs (an accepter's id is the peering connection's `pcx-` id).
ID_FROM_INPUT = {
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "vpcPeeringConnectionId",
    "aws:lambda/permission:Permission": "statementId",
}

# Types whose id is their ARN (as the AWS provider reports it).
ID_IS_ARN = {"aws:sns/topic:Topic", "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup",
             "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:ecs/cluster:Cluster",
             "aws:iam/openIdConnectProvider:OpenIdConnectProvider"}


# Names AWS gives service-linked roles (IAM user guide, "AWS services that work with IAM").
SERVICE_LINKED_ROLES = {"reports.backup.amazonaws.com": "AWSServiceRoleForBackupReports"}


def extra_outputs(type_: str, name: str, id_: str, region: str, arn: str | None,
                   inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Computed properties that consumers of a resource read."""
    if type_ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
        # AWS names the role after the service; the path says which service it serves.
        service = (inputs or {}).get("awsServiceName", "")
        role = SERVICE_LINKED_ROLES.get(service, f"AWSServiceRoleFor{service.split('.')[0].title()}")
        return {"name": role, "path": f"/aws-service-role/{service}/",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{service}/{role}"}
    if type_ == "aws:lb/loadBalancer:LoadBalancer":
        return {
            "dnsName": f"{name}-{digest(name, length=6)}.{region}.elb.amazonaws.com",
            "arnSuffix": arn.split(":loadbalancer/")[1],
            "zoneId": "Z32O12XQLNTSW2",
        }
    if type_ in ("aws:lb/targetGroup:TargetGroup",):
        return {"arnSuffix": arn.split(":")[-1]}
    if type_ == "aws:lambda/function:Function":
        return {
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            "qualifiedArn": f"{arn}:1",
            "version": "1",
        }
    if type_ == "aws:sqs/queue:Queue":
        return {"url": id_}
    if type_ == "aws:dynamodb/table:Table":
        return {"streamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}
    if type_ == "aws:apigateway/restApi:RestApi":
        return {
            "rootResourceId": f"root{digest(id_, length=6)}",
            "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:{id_}",
        }
    if type_ == "aws:apigateway/stage:Stage":
        api, stage = (inputs or {}).get("restApi", "api"), (inputs or {}).get("stageName", name)
        return {
            "invokeUrl": f"https://{api}.execute-api.{region}.amazonaws.com/{stage}",
            "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:{api}/{stage}",
            "arn": f"arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}",
        }
    if type_ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        return {
            "bucket": name,
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "region": region,
        }
    if type_ == "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration":
        return {"websiteEndpoint": f"{id_}.s3-website-{region}.amazonaws.com", "websiteDomain": f"s3-website-{region}.amazonaws.com"}
    if type_ == "aws:cloudfront/distribution:Distribution":
        return {"domainName": f"d{digest(id_, length=12)}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
    if type_ == "aws:ecr/repository:Repository":
        return {"repositoryUrl": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}", "registryId": ACCOUNT}
    if type_ == "aws:kms/key:Key":
        return {"keyId": id_}
    if type_ == "aws:ec2/instance:Instance":
        return {"primaryNetworkInterfaceId": f"eni-{digest(id_, length=17)}",
                "privateIp": "10.0.0.10", "publicIp": "203.0.113.10"}
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1, "defaultVersion": 1}
    if type_ == "aws:iam/role:Role":
        return {"uniqueId": f"AROA{digest(name, length=16).upper()}"}
    if type_ == "aws:acm/certificate:Certificate":
        # One CNAME per name to validate, in ACM's form (_<token>.<name>. -> _<token>.acm-validations.aws.).
        names = [(inputs or {}).get("domainName", name), *((inputs or {}).get("subjectAlternativeNames") or [])]
        return {"domainValidationOptions": [
            {"domainName": n, "resourceRecordName": f"_{digest(n, length=32)}.{n}.", "resourceRecordType": "CNAME",
             "resourceRecordValue": f"_{digest(n, 'value', length=32)}.acm-validations.aws."} for n in names]}
    return {}


def package_outputs(type_: str, logical: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The few outputs of awsx/docker components that our code reads (nothing else is echoed)."""
    if type_ == "awsx:ecr:Image":
        # The pushed image by digest, as awsx reports it: `<repositoryUrl>@sha256:<64 hex>`.
        digest = hashlib.sha256(f"{logical}/{inputs.get('imageTag')}".encode()).hexdigest()
        return {"imageUri": f"{inputs.get('repositoryUrl')}@sha256:{digest}"}
    if type_ == "docker-build:index:Image":
        # docker-build's `ref` of a pushed image: its first tag plus the build's digest.
        tags = inputs.get("tags") or []
        digest = hashlib.sha256(f"{logical}/{tags}".encode()).hexdigest()
        pushed = bool(inputs.get("push")) and bool(tags)
        return {"digest": f"sha256:{digest}" if pushed else "",
                "ref": f"{tags[0]}@sha256:{digest}" if pushed else (tags[0] if tags else "")}
    return {}
