"""Deadline nudges and weekly summaries: planning, rendering and scheduling.

Reminder state lives in the database. The planner records what is due in the
outbox, and the delivery worker sends it.
"""
