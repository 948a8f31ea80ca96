"""Problem management: problem details, known errors, the debt list, reminders."""
