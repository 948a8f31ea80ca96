"""Change enablement and releases: RFCs, CAB approvals, schedule, reviews."""
