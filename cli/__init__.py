"""The `nhiemvu` command line: one sub-module per group of commands, `common` for what they
share. Errors go to stderr with a non-zero exit code, never a traceback.

Building the command tree imports only Typer and these modules; each command imports the
domain modules it needs when it runs, so `nhiemvu --help` loads no database, Prefect,
Apprise, matplotlib or document library.
"""

from __future__ import annotations

import typer

from cli import (
    acts,
    attachments,
    audit,
    calendar,
    demo,
    notifications,
    obligations,
    reports,
    serve,
    tasks,
    units,
    users,
)
from cli.usage import VietnameseGroup

app = typer.Typer(
    cls=VietnameseGroup,
    help="nhiemvu: theo dõi nhiệm vụ được giao, nhắc hạn và soạn báo cáo định kỳ.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# The order of the help listing.
app.add_typer(calendar.calendar_app, name="calendar")
app.add_typer(reports.report_app, name="report")
app.add_typer(obligations.obligation_app, name="obligation")
app.add_typer(notifications.secrets_app, name="secrets")
app.command("remind")(notifications.remind)
app.command("deliver")(notifications.deliver)
app.command("zalo-token")(notifications.zalo_token)
app.command("init")(tasks.init)
app.command("status")(tasks.status)
app.command("tasks")(tasks.tasks)
app.add_typer(tasks.task_app, name="task")
app.command("demo")(demo.demo)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(attachments.attachments_app, name="attachments")
app.add_typer(units.unit_app, name="unit")
app.add_typer(acts.document_app, name="document")
app.add_typer(acts.plan_app, name="plan")
app.add_typer(users.user_app, name="user")
app.command("serve")(serve.serve)
app.command("import")(tasks.import_tasks)
