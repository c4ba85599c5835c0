"""The incident itself: declare, roles, phases and tasks, the hash-chained timeline, deadlines, questions and answers, follow-ups, drills, the playbook. Imports text/ and the contracts."""
