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

# Page navigation on a plan message too long for one message. The page shown is
# stored on the room, so a click changes it for everyone in the channel.
PLAN_PAGE_PREVIOUS = "plan_page_previous"
PLAN_PAGE_NEXT = "plan_page_next"
PLAN_PAGE_MILESTONE = "plan_page_milestone"
BLOCK_PLAN_ACTIONS = "plan_actions"
BLOCK_PLAN_OUTDATED = "plan_outdated"

# Nudge messages. Button values are "<deal channel>:<task id>", and snooze
# option values add ":<days>".
NUDGE_COMPLETE = "nudge_complete"
NUDGE_IN_PROGRESS = "nudge_in_progress"
NUDGE_SNOOZE = "nudge_snooze"
BLOCK_NUDGE_HEADER = "nudge_header"
BLOCK_NUDGE_TASK = "nudge_task"
BLOCK_NUDGE_ACTIONS = "nudge_actions"
