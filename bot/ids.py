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

# Controls for editing the plan. Overflow option values are "<verb>:<database id>".
TASK_OVERFLOW = "task_overflow"
MILESTONE_OVERFLOW = "milestone_overflow"
PLAN_ADD_TASK = "plan_add_task"
PLAN_ADD_MILESTONE = "plan_add_milestone"

TASK_EDIT = "edit"
TASK_MOVE = "move"
TASK_DELETE = "delete"
MILESTONE_EDIT = "edit"
MILESTONE_STATUS = "status"
MILESTONE_UP = "up"
MILESTONE_DOWN = "down"
MILESTONE_DELETE = "delete"

# Callback ids of the modals.
VIEW_TASK = "task_form"
VIEW_TASK_MOVE = "task_move"
VIEW_TASK_DELETE = "task_delete"
VIEW_MILESTONE_ADD = "milestone_add"
VIEW_MILESTONE_EDIT = "milestone_edit"
VIEW_MILESTONE_STATUS = "milestone_status"
VIEW_MILESTONE_DELETE = "milestone_delete"
VIEW_NOTICE = "notice"

# Input blocks of the modals. Each input's action_id is its block_id.
FIELD_TITLE = "title"
FIELD_MILESTONE = "milestone"
FIELD_OWNER = "owner"
FIELD_OWNER_NAME = "owner_name"
FIELD_SIDE = "side"
FIELD_DUE_DATE = "due_date"
FIELD_REMOVE_DUE_DATE = "remove_due_date"
FIELD_DESCRIPTION = "description"
FIELD_POSITION = "position"
FIELD_STATUS = "status"

# Nudge messages. Button values are "<deal channel>:<task id>", and snooze
# option values add ":<days>".
NUDGE_COMPLETE = "nudge_complete"
NUDGE_IN_PROGRESS = "nudge_in_progress"
NUDGE_SNOOZE = "nudge_snooze"
BLOCK_NUDGE_HEADER = "nudge_header"
BLOCK_NUDGE_TASK = "nudge_task"
BLOCK_NUDGE_ACTIONS = "nudge_actions"
