"""cloud-platform's Pulumi components: one module per ComponentResource."""
