"""Generic approvals of tickets (service requests, changes): rounds, modes, delegation."""
