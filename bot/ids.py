"""Action, block and callback ids used in Block Kit payloads.

Listeners match on these, so each id is defined once, here.
"""

# Buttons and menus on a task in the plan message.
TASK_COMPLETE = "task_complete"
TASK_MENU = "task_status"

# Values of TASK_MENU buttons: "<verb>:<task id>".
MENU_IN_PROGRESS = "in_progress"
MENU_NOT_STARTED = "not_started"
MENU_COMPLETE = "completed"

# Block ids are built from these prefixes and a database id, so they stay unique.
BLOCK_MILESTONE = "milestone"
BLOCK_TASK = "task"
BLOCK_TASK_ACTIONS = "task_actions"
BLOCK_COMPLETED = "completed"
