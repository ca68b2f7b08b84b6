"""The local event-source runner: the app's stream, queue and schedule handlers, run as AWS runs them.

`python -m devstack` registers `LocalRunner(options).factories` as services
of the local stack. Modules, from pure to wired:

- `events`: Lambda-shaped events from GetRecords / ReceiveMessage output;
- `batch`: what a handler's `batchItemFailures` means; retries, bisection,
  discarding and the on-failure record;
- `cron`: EventBridge `rate(...)` and `cron(...)`, and when they fire next;
- `settings`: failure settings from `infra/functions.yaml`;
- `sources`: the app's event sources and handlers, and one invocation;
- `loop`: a stoppable polling thread;
- `stream`, `sqs`, `schedule`: one event source each;
- `destination`: on-failure destinations (SQS, SNS);
- `inprocess`: housekeeping inside the in-process emulator (used shard iterators);
- `outbox`: what SNS, SES and the HTTP gateway took, into the outbox;
- `service`: the services that `LocalStack` starts and stops;
- `describe`: one line per running source, for the banner.

The runner is not a special path through the handlers: they get the events
Lambda would give them, and their answers count as Lambda counts them.
"""

from devstack.runner.service import EventRunner, LocalRunner, RunnerError, RunnerOptions

__all__ = ["EventRunner", "LocalRunner", "RunnerError", "RunnerOptions"]
