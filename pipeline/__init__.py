"""The stages (framers, scenarios, instructors, auditors) and the command line."""
