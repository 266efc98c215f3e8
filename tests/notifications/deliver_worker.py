"""A delivery process: `python -m tests.notifications.deliver_worker [--until-empty]`.

The exactly-once tests spawn and kill it as a real process. It reads the database URL from
NHIEMVU_DATABASE_URL like the service; with --until-empty it keeps going until no row is
pending, failed or sending.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from sqlmodel import Session, col, func, select

from models import Notification, NotificationState
from models.db import get_engine
from notifications.delivery import deliver, worker_name


def _open_rows() -> int:
    with Session(get_engine()) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Notification)
                .where(
                    col(Notification.state).in_(
                        [
                            NotificationState.PENDING,
                            NotificationState.FAILED,
                            NotificationState.SENDING,
                        ]
                    )
                )
            ).one()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deliver_worker")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--until-empty", action="store_true")
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    owner = worker_name()
    deadline = time.monotonic() + args.max_seconds
    while True:
        result = deliver(owner=owner, batch_size=args.batch)
        logging.getLogger("deliver_worker").info("%s", result)
        if not args.until_empty or not _open_rows():
            return 0
        if result.deferred or time.monotonic() > deadline:
            return 1
        if not result.claimed:
            time.sleep(args.poll)  # rows still leased by someone else, or backing off


if __name__ == "__main__":
    sys.exit(main())
