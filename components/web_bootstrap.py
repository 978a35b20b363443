"""User data that bootstraps a web-tier instance (the course's "bootstrapping" strategy).

Installs Apache, serves a page naming colour, version, instance and zone, and answers the
health check path: enough to see a blue/green cutover happen from a browser.
"""

from __future__ import annotations

import shlex


def bootstrap_script(colour: str, version: str, port: int, health_path: str) -> str:
    """User data that installs Apache, serves a page naming colour and version, and a health path.

    Package repositories of Amazon Linux live in S3, so this works without a NAT gateway
    through the VPC's S3 gateway endpoint.
    """
    health_file = "/var/www/html" + (health_path if health_path != "/" else "/index.html")
    q = shlex.quote
    return f"""#!/bin/bash
set -euo pipefail
dnf install -y httpd
sed -i 's/^Listen 80$/Listen {port}/' /etc/httpd/conf/httpd.conf
TOKEN=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
meta() {{ curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }}
INSTANCE_ID=$(meta instance-id)
ZONE=$(meta placement/availability-zone)
COLOUR={q(colour)}
VERSION={q(version)}
cat > /var/www/html/index.html <<EOF
<!doctype html>
<html><head><title>cloud-platform $COLOUR $VERSION</title></head>
<body style="background:$COLOUR;color:white;font-family:sans-serif">
<h1>cloud-platform web tier</h1>
<p>colour: <b id="colour">$COLOUR</b></p>
<p>version: <b id="version">$VERSION</b></p>
<p>instance: $INSTANCE_ID in $ZONE</p>
</body></html>
EOF
HEALTH={q(health_file)}
if [ ! -f "$HEALTH" ]; then mkdir -p "$(dirname "$HEALTH")"; echo ok > "$HEALTH"; fi
systemctl enable --now httpd
"""
