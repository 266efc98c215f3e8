"""Reminders: Apprise channels (email, Zalo OA, ZNS, any Apprise URL), policy, planning, outbox."""
