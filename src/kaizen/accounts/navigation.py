"""Navigation entries and dashboard figures of the accounts domain."""
