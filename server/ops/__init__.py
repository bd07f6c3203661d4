"""What the operator of a deployment looks at: worker heartbeats and readiness."""
