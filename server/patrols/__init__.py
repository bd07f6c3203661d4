"""Patrols (巡查): plans with checkpoints, patrols with GPS tracks and check-ins."""
