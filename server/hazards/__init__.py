"""Hazards (隐患): report, triage, assignment, rectification, verification and closure."""
