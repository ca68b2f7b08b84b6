"""The local stack: the whole system on one machine, against moto's server in process.

`python -m devstack` (what `make run` calls) and `devstack.stack.LocalStack`
(for tests) start, in order: the AWS emulator, the stack of
`infra/template.yaml`, the Cognito resources that moto's CloudFormation
skips, the functions' environment resolved from `infra/functions.yaml`, the
Chalice app, and last its HTTP server, so that any answer means ready.

Modules, one concept each:

- `options`: PORT, MOTO_PORT, AWS_REGION, LOCAL_DIR.
- `template`: reading CloudFormation files (cfn-lint's loader).
- `intrinsics`, `lookups`: resolving Ref, GetAtt, Sub, Join, If (pure).
- `emulator`, `aws`: moto's server, the SDK clients, the app's environment.
- `cloudformation`, `attributes`, `quirks`: deploying and reading the stack.
- `cognito`: the user pool, its clients and groups, from the template.
- `server`: the Chalice app and its local HTTP server.
- `outbox`: where sent SMS and e-mail are written.
- `stack`: the order of it all; `banner`: what is printed when ready.
"""
