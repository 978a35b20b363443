"""The subscriptions API behind API Gateway: `api.handler.lambda_handler` in Lambda.

Deployed as a package named `api` (the archive holds `api/`), imported as
`functions.api` by the tests and the local sandbox; only relative imports inside.
"""
